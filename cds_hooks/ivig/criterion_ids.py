"""The criterion vocabulary: one typed id per criterion, its title and its source (docs/clinical-logic.md)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class CriterionId(StrEnum):
    """The id of one criterion of the assessment; the value is the id shown on cards and in JSON."""

    X_UMN = "X-UMN"
    X_BULBAR = "X-BULBAR"
    X_SENSORY = "X-SENSORY"
    X_RESP = "X-RESP"
    X_SYMMETRIC = "X-SYMMETRIC"
    X_ALS = "X-ALS"
    C_MULTIFOCAL = "C-MULTIFOCAL"
    CB = "CB"
    T_ONSET = "T-ONSET"
    T_EMG = "T-EMG"
    T_CK = "T-CK"
    S_GM1 = "S-GM1"
    S_CSF = "S-CSF"
    S_MRI = "S-MRI"
    S_US = "S-US"


TITLES: Mapping[CriterionId, str] = MappingProxyType(
    {
        CriterionId.X_UMN: "Upper motor neuron signs",
        CriterionId.X_BULBAR: "Bulbar involvement",
        CriterionId.X_SENSORY: "Sensory involvement",
        CriterionId.X_RESP: "Respiratory involvement",
        CriterionId.X_SYMMETRIC: "Diffuse symmetric weakness at onset",
        CriterionId.X_ALS: "Established ALS",
        CriterionId.C_MULTIFOCAL: "Weakness in the territory of two or more nerves",
        CriterionId.CB: "Motor conduction block (definite or probable)",
        CriterionId.T_ONSET: "Distal upper-limb onset",
        CriterionId.T_EMG: "EMG abnormalities confined to clinically weak muscles",
        CriterionId.T_CK: "Normal creatine kinase",
        CriterionId.S_GM1: "IgM anti-GM1 or anti-GM1/GalC antibodies positive",
        CriterionId.S_CSF: "CSF protein raised but below the upper bound",
        CriterionId.S_MRI: "Brachial plexus MRI T2 hyperintensity or swelling",
        CriterionId.S_US: "Nerve enlargement on ultrasound",
    }
)

# The evidence each criterion rests on (ids of docs/clinical-logic.md, shown on every card row).
SOURCES: Mapping[CriterionId, str] = MappingProxyType(
    {
        CriterionId.X_UMN: "EFNS2010",
        CriterionId.X_BULBAR: "SIMON2013 entry criteria; EFNS2010 (marked bulbar involvement)",
        CriterionId.X_SENSORY: "EFNS2010",
        CriterionId.X_RESP: "SIMON2013 entry criteria",
        CriterionId.X_SYMMETRIC: "EFNS2010",
        CriterionId.X_ALS: "SIMON2013",
        CriterionId.C_MULTIFOCAL: "EFNS2010",
        CriterionId.CB: "EFNS2010",
        CriterionId.T_ONSET: "SIMON2013",
        CriterionId.T_EMG: "SIMON2013",
        CriterionId.T_CK: "SIMON2013",
        CriterionId.S_GM1: "EFNS2010; NOBILEORAZIO2014",
        CriterionId.S_CSF: "EFNS2010",
        CriterionId.S_MRI: "EFNS2010",
        CriterionId.S_US: "GOEDEE2017; HERRAETS",
    }
)

EXCLUSIONS = (
    CriterionId.X_UMN,
    CriterionId.X_BULBAR,
    CriterionId.X_SENSORY,
    CriterionId.X_RESP,
    CriterionId.X_SYMMETRIC,
    CriterionId.X_ALS,
)
TRIAD = (CriterionId.T_ONSET, CriterionId.T_EMG, CriterionId.T_CK)
SUPPORTIVE = (CriterionId.S_GM1, CriterionId.S_CSF, CriterionId.S_MRI, CriterionId.S_US)
