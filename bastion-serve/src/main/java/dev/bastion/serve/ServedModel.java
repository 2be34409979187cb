package dev.bastion.serve;

import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Trust;
import dev.bastion.registry.ChainVerifier;
import dev.bastion.registry.ModelChain;
import dev.bastion.registry.ModelRegistry;
import dev.bastion.train.TabularModel;
import java.io.IOException;

/**
 * A model the gateway serves, loaded only after its registration and its whole chain verified.
 *
 * @param name the registered name
 * @param version the registered version
 * @param digest the model artifact's digest
 * @param model the model
 */
public record ServedModel(String name, int version, Digest digest, TabularModel model) {
  /**
   * Loads the newest version of {@code name}: the signed registration, then every link of its
   * chain, then the model bytes (digest checked), then the model.
   *
   * @throws VerificationException naming the link or artifact that does not verify
   */
  public static ServedModel load(
      String name, ModelRegistry registry, ChainVerifier verifier, Trust trust, String runId)
      throws BastionException, IOException {
    ModelRegistry.Registration reg =
        registry
            .latest(name)
            .orElseThrow(() -> new VerificationException("no registered model named '" + name
                + "'"));
    ModelChain chain = registry.chainOf(reg, trust, "gateway", runId);
    byte[] bytes = verifier.verify(chain, "gateway", runId);
    TabularModel model = TabularModel.fromBytes(bytes, "model " + reg.model());
    return new ServedModel(reg.name(), reg.version(), reg.model(), model);
  }
}
