"""`HierarchicalVAE`: a VAE with several stochastic layers, as in Burda et al. (2016) and
Tomczak & Welling (2018).

With layers z_L (top), ..., z_1 (bottom) it models

    p(x, z) = p(z_L) prod_l p(z_l | z_l+1) p(x | z_1, ..., z_L)
    q(z | x) = q(z_L | x) prod_l q(z_l | x, z_l+1)

The registered prior is p(z_L), so every prior (the VampPrior included) is the top layer's; the
networks of the layers below come in pairs, one conditional posterior and one conditional prior
per layer. Each density is a diagonal Gaussian, read like the encoder's (`gaussian_posterior`).
A third layer is one more pair of networks (`build_vae("hvae", latent_layers=3)`); a ladder
(shared bottom-up features) would be a subclass that overrides `_descend`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from keras_vae.architectures.networks import HierarchicalNetworks
from keras_vae.latent import decode_draws, gaussian_posterior, log_normal
from keras_vae.models.vae import VAE

__all__ = ["HierarchicalNetworks", "HierarchicalVAE"]


@keras.saving.register_keras_serializable(package="keras_vae")
class HierarchicalVAE(VAE):
    """A VAE with stochastic layers z_L, ..., z_1; the prior, `sample`, `encode` and the
    latent plots are over the top layer z_L.

    The `kl` metric is the KL of the whole hierarchy: the prior's KL of the top layer plus the
    Monte-Carlo estimate sum_l log q(z_l | x, z_l+1) - log p(z_l | z_l+1) of the layers below;
    the IWAE bound weighs all layers' densities. Free bits and beta-TC, which read a factorised
    KL, do not apply.

    Args:
        encoder, decoder, inference_networks, generative_networks: see `HierarchicalNetworks`.
        **kwargs: the `VAE`'s (losses, seed, prior, objective, ...).
    """

    hierarchical = True

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        inference_networks: Sequence[keras.Model] = (),
        generative_networks: Sequence[keras.Model] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(encoder, decoder, **kwargs)
        self.inference_networks = list(inference_networks)
        self.generative_networks = list(generative_networks)
        _check_layers(
            encoder, decoder, self.inference_networks, self.generative_networks, self.likelihood
        )

    def _check_networks(self, encoder: keras.Model, decoder: keras.Model) -> None:
        # The decoder takes every layer's z; `_check_layers` checks it once the layers are known.
        if not getattr(encoder, "outputs", None) or len(encoder.outputs) != 2:
            raise ValueError("The encoder must output [z_mean, z_log_var] of the top layer.")

    @property
    def per_draw_networks(self) -> list[keras.Model]:
        # Each top-layer draw goes down through q(z_l | x, z_l+1) and p(z_l | z_l+1) too.
        return [self.decoder, *self.inference_networks, *self.generative_networks]

    @property
    def latent_dims(self) -> tuple[int, ...]:
        """Size of each latent layer, top first."""
        below = [int(net.outputs[0].shape[-1]) for net in self.generative_networks]
        return (self.latent_dim, *below)

    @property
    def noise_dim(self) -> int:
        return sum(self.latent_dims)

    def _posterior_draws(self, x, z_mean, z_log_var, noise, training, one_hot=None):
        top = self.latent_dim
        z = self.reparameterize(z_mean, z_log_var, noise[..., :top])
        layers, lower_kl = self._descend(x, z, noise[..., top:], training)
        return z, decode_draws(self.decoder, layers, training), lower_kl

    def _descend(self, x: Any, z: Any, noise: Any, training: bool) -> tuple[list, Any]:
        """Draws the layers below the top draw `z` from q(z_l | x, z_l+1) with `noise`.

        Args:
            x: (batch, H, W, C) images.
            z: (batch, latent_dim) or (draws, batch, latent_dim) top-layer draws.
            noise: standard-normal noise for the lower layers, z's leading axes and the sum of
                their sizes last.

        Returns:
            The draws of every layer, top first, with z's leading axes, and the lower layers'
            Monte-Carlo KL sum_l log q(z_l | x, z_l+1) - log p(z_l | z_l+1), z's leading axes.
        """
        leading = ops.shape(z)[:-1]
        if len(z.shape) == 3:  # one copy of each image per draw, for the networks that read x
            x = ops.broadcast_to(ops.expand_dims(x, 0), (leading[0], *ops.shape(x)))
            x = ops.reshape(x, (-1, *x.shape[2:]))
        above = ops.reshape(z, (-1, z.shape[-1]))
        noise = ops.reshape(noise, (-1, noise.shape[-1]))
        draws, kl, start = [above], 0.0, 0
        for posterior, prior in zip(self.inference_networks, self.generative_networks, strict=True):
            q_mean, q_log_var = gaussian_posterior(posterior([x, above], training=training))
            p_mean, p_log_var = gaussian_posterior(prior(above, training=training))
            size = q_mean.shape[-1]
            below = self.reparameterize(q_mean, q_log_var, noise[:, start : start + size])
            kl = kl + log_normal(below, q_mean, q_log_var) - log_normal(below, p_mean, p_log_var)
            draws.append(below)
            above, start = below, start + size
        unflatten = lambda t: ops.reshape(t, (*leading, *t.shape[1:]))  # noqa: E731
        return [unflatten(t) for t in draws], unflatten(kl)

    def _layers_below(self, z: Any, sample: bool, seed: Any = None, temperature: float = 1.0):
        """Returns [z, z_L-1, ..., z_1] generated from top-layer codes `z` by the conditional
        priors: their means, or draws (scaled by `temperature`) when `sample`."""
        layers = [ops.convert_to_tensor(z, dtype="float32")]
        for prior in self.generative_networks:
            mean, log_var = gaussian_posterior(prior(layers[-1]))
            if sample:
                noise = keras.random.normal(ops.shape(mean), seed=seed)
                mean = mean + temperature * ops.exp(0.5 * log_var) * noise
            layers.append(mean)
        return layers

    # A hierarchy is never conditional (VAE refuses num_classes with one): `labels` is None.
    def call(self, x: Any, training: bool = False, labels: Any = None) -> Any:
        return self.reconstruct(x)

    def decode(self, z: Any, labels: Any = None, seed: Any = None) -> Any:
        """Returns the mean images decoded from top-layer codes `z` (batch, latent_dim), the
        layers below at their conditional priors' means (drawn, for an autoregressive
        likelihood, with `seed`: see `VAE.decode`)."""
        params = self.decoder(self._layers_below(z, sample=False))
        return self.likelihood.image(params, self.seed_generator if seed is None else seed)

    def reconstruct(
        self, x: Any, sampler: str = "mode", labels: Any = None, seed: Any = None
    ) -> Any:
        """Returns the mean images decoded from q(z | x): every layer at its posterior mean
        ("mode") or a draw of every layer ("sample"); drawn pixel by pixel with `seed` for an
        autoregressive likelihood."""
        if sampler not in ("mode", "sample"):
            raise ValueError(f"sampler must be 'mode' or 'sample', got {sampler!r}.")
        x = ops.convert_to_tensor(x, dtype="float32")
        z_mean, z_log_var = self.encode(x)
        noise = keras.random.normal((ops.shape(x)[0], self.noise_dim), seed=self.seed_generator)
        if sampler == "mode":
            noise = ops.zeros_like(noise)
        _, params, _ = self._posterior_draws(x, z_mean, z_log_var, noise, False)
        return self.likelihood.image(params, self.seed_generator if seed is None else seed)

    def sample(
        self, n: int, seed: int | None = None, temperature: float = 1.0, labels: Any = None
    ) -> Any:
        """Returns `n` images (n, H, W, C) from ancestral draws: the top layer from the
        prior, each layer below from p(z_l | z_l+1), both at `temperature`; the mean of
        p(x | z_1), or a draw of it for an autoregressive likelihood (see `VAE.decode`)."""
        seed = self.seed_generator if seed is None else keras.random.SeedGenerator(seed)
        z = self.prior.sample(n, seed=seed, temperature=temperature)
        layers = self._layers_below(z, sample=True, seed=seed, temperature=temperature)
        return self.likelihood.image(self.decoder(layers), seed)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "inference_networks": [
                keras.saving.serialize_keras_object(n) for n in self.inference_networks
            ],
            "generative_networks": [
                keras.saving.serialize_keras_object(n) for n in self.generative_networks
            ],
        }

    @classmethod
    def from_config(cls, config: dict) -> HierarchicalVAE:
        config = dict(config)
        for key in ("inference_networks", "generative_networks"):
            config[key] = [keras.saving.deserialize_keras_object(n) for n in config[key]]
        return super().from_config(config)


def _check_layers(encoder, decoder, inference_networks, generative_networks, likelihood) -> None:
    """Raises a ValueError unless the networks make one hierarchy: a posterior and a prior
    network per lower layer, sizes chained top to bottom, a decoder of every layer giving the
    `likelihood`'s parameters for every pixel."""
    if not inference_networks:
        raise ValueError("A hierarchical VAE needs at least one layer below the top; for one "
                         "layer use VAE.")  # fmt: skip
    if len(inference_networks) != len(generative_networks):
        raise ValueError(
            f"A hierarchical VAE needs one inference and one generative network per lower "
            f"layer; got {len(inference_networks)} and {len(generative_networks)}."
        )
    above = int(encoder.outputs[0].shape[-1])
    sizes = [above]
    for posterior, prior in zip(inference_networks, generative_networks, strict=True):
        size = int(prior.outputs[0].shape[-1])
        if tuple(prior.input_shape[1:]) != (above,):
            raise ValueError(
                f"The generative network {prior.name} takes {prior.input_shape[1:]} but the "
                f"layer above has {above} units."
            )
        if int(posterior.outputs[0].shape[-1]) != size:
            raise ValueError(
                f"The inference network {posterior.name} gives {posterior.outputs[0].shape[-1]} "
                f"units where the generative network gives {size}; they model the same layer."
            )
        sizes.append(size)
        above = size
    inputs = [tuple(shape[1:]) for shape in _input_shapes(decoder)]
    if inputs != [(size,) for size in sizes]:
        raise ValueError(
            f"The decoder takes {inputs} but the layers are {[(s,) for s in sizes]} (top first); "
            "it must take every layer's z."
        )
    *spatial, channels = encoder.input_shape[1:]
    params = likelihood.param_channels(channels)
    if tuple(decoder.output_shape[1:]) != (*spatial, params):
        per_pixel = "one parameter per pixel channel"
        if params != channels:
            per_pixel = f"{params} parameters per pixel for the {type(likelihood).__name__}"
        raise ValueError(
            f"The decoder outputs {decoder.output_shape[1:]} but the encoder takes images of "
            f"{encoder.input_shape[1:]}; the decoder must give {per_pixel}."
        )


def _input_shapes(network: keras.Model) -> list:
    shapes = network.input_shape
    return list(shapes) if isinstance(shapes, list) else [shapes]
