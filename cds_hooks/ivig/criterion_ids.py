"""The criterion vocabulary: one typed id per criterion, its title and its source (docs/clinical-logic.md)."""

from __future__ import annotations

from enum import StrEnum


class CriterionId(StrEnum):
    """The id of one criterion of the assessment; the value is the id shown on cards and in JSON."""

    X_UMN = "X-UMN"
    X_BULBAR = "X-BULBAR"
    X_SENSORY = "X-SENSORY"
    X_RESP = "X-RESP"
    X_SYMMETRIC = "X-SYMMETRIC"
    X_ALS = "X-ALS"
    CB = "CB"
    T_ONSET = "T-ONSET"
    T_EMG = "T-EMG"
    T_CK = "T-CK"
    S_GM1 = "S-GM1"
    S_CSF = "S-CSF"
    S_MRI = "S-MRI"


TITLES: dict[CriterionId, str] = {
    CriterionId.X_UMN: "Upper motor neuron signs",
    CriterionId.X_BULBAR: "Bulbar involvement",
    CriterionId.X_SENSORY: "Sensory involvement",
    CriterionId.X_RESP: "Respiratory involvement",
    CriterionId.X_SYMMETRIC: "Diffuse symmetric weakness at onset",
    CriterionId.X_ALS: "Established ALS",
    CriterionId.CB: "Motor conduction block (definite or probable)",
    CriterionId.T_ONSET: "Distal upper-limb onset",
    CriterionId.T_EMG: "EMG abnormalities confined to clinically weak muscles",
    CriterionId.T_CK: "Normal creatine kinase",
    CriterionId.S_GM1: "Raised IgM anti-GM1 antibodies",
    CriterionId.S_CSF: "CSF protein raised but below the upper bound",
    CriterionId.S_MRI: "Brachial plexus MRI T2 hyperintensity or swelling",
}

EXCLUSIONS = (
    CriterionId.X_UMN,
    CriterionId.X_BULBAR,
    CriterionId.X_SENSORY,
    CriterionId.X_RESP,
    CriterionId.X_SYMMETRIC,
    CriterionId.X_ALS,
)
TRIAD = (CriterionId.T_ONSET, CriterionId.T_EMG, CriterionId.T_CK)
SUPPORTIVE = (CriterionId.S_GM1, CriterionId.S_CSF, CriterionId.S_MRI)
