"""Contracts, payment milestones and the contract handover (合同交底). Built with the control-points
issue; the package is here so the layout of ARCHITECTURE.md holds from the start."""
