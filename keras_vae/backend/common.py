"""What every backend module shares, and nothing above the backend: a leaf module, as
`keras/src/backend/common` is in Keras."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Replicas:
    """Where this process stands in a data-parallel run."""

    count: int  # replicas that each train on a part of every batch
    process_index: int  # this process among the processes of the run
    process_count: int

    @property
    def is_chief(self) -> bool:
        """Whether this process writes the run's files (logs, checkpoints, figures)."""
        return self.process_index == 0


SINGLE = Replicas(count=1, process_index=0, process_count=1)
