"""Adam as Kingma et al.'s 2014 semi-supervised code runs it: without bias correction."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_vae")
class UncorrectedAdam(keras.optimizers.Adam):
    """Adam whose steps use its raw moment averages: lr * m / (sqrt(v) + epsilon).

    Their code (dpkingma/nips14-ssl, `adam.py`) computes Adam's corrected rate but steps with
    the uncorrected one, so its early steps are larger than Adam's by (1 - beta_1^t) /
    sqrt(1 - beta_2^t): 3.2 times at the first, 6.5 at the tenth, 1.26 at the 1,000th, within 1%
    of Adam's after 4,000. Each step here is Adam's at its rate times that factor, which is
    the uncorrected step. Their code adds no epsilon; Keras's 1e-7 stays, against a variable
    whose gradient is 0 from the start (0 / 0). Takes `keras.optimizers.Adam`'s arguments but
    `amsgrad`.
    """

    def __init__(self, *args: Any, amsgrad: bool = False, **kwargs: Any) -> None:
        if amsgrad:
            raise ValueError("UncorrectedAdam has no AMSGrad variant; use keras.optimizers.Adam.")
        super().__init__(*args, amsgrad=False, **kwargs)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        step = ops.cast(self.iterations + 1, variable.dtype)  # Adam's t
        beta_1 = ops.cast(self.beta_1, variable.dtype)
        beta_2 = ops.cast(self.beta_2, variable.dtype)
        correction_undone = (1 - ops.power(beta_1, step)) / ops.sqrt(1 - ops.power(beta_2, step))
        lr = ops.cast(learning_rate, variable.dtype) * correction_undone
        super().update_step(gradient, variable, lr)
