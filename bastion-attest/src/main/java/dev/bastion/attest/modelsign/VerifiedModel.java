package dev.bastion.attest.modelsign;

import java.util.Objects;

/**
 * A model whose signature verified and whose files match it.
 *
 * @param manifest what the signature covers, as signed
 * @param signer who signed: the key hint, or the signing certificate's subject
 * @param legacy whether the bundle used the deprecated v0.2 predicate
 *     ({@code https://model_signing/Digests/v0.1})
 */
public record VerifiedModel(Manifest manifest, String signer, boolean legacy) {
  public VerifiedModel {
    Objects.requireNonNull(manifest);
    Objects.requireNonNull(signer);
  }
}
