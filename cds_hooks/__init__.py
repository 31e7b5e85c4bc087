"""The pure core of ivig-cds: CDS Hooks models and the IVIg assessment.

Nothing in this package touches the network, the disk, the clock or the environment.
"""
