package dev.bastion.serve;

import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Trust;
import dev.bastion.registry.ChainVerifier;
import dev.bastion.registry.ModelChain;
import dev.bastion.registry.ModelRegistry;
import dev.bastion.train.InputProfile;
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
  public ServedModel {
    if (model.inputProfile().isEmpty()) {
      throw new IllegalArgumentException("a served model needs its input profile");
    }
  }

  /** What the model's training inputs looked like, for the input guard. */
  public InputProfile inputProfile() {
    return model.inputProfile().orElseThrow();
  }

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
    if (model.inputProfile().isEmpty()) {
      // Without it the input guard cannot decide, and a guard that cannot decide refuses.
      throw new BadInputException("model '" + reg.name() + "' v" + reg.version()
          + " was trained without an input profile, which the gateway's input guard needs;"
          + " train it again with this version of Bastion");
    }
    return new ServedModel(reg.name(), reg.version(), reg.model(), model);
  }
}
