package dev.bastion.serve;

import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Trust;
import dev.bastion.registry.ChainVerifier;
import dev.bastion.registry.Chain;
import dev.bastion.registry.ImportChain;
import dev.bastion.registry.ModelRegistry;
import dev.bastion.serve.onnx.ImportedModel;
import dev.bastion.train.Classifier;
import dev.bastion.train.InputProfile;
import dev.bastion.train.OutputProfile;
import dev.bastion.train.TabularModel;
import java.io.IOException;

/**
 * A model the gateway serves, loaded only after its registration and its whole chain verified.
 *
 * @param name the registered name
 * @param version the registered version
 * @param digest the model artifact's digest
 * @param model the model: trained by Bastion, or imported ({@link ImportedModel}, which holds a
 *     native session: {@link #close} releases it)
 * @param data checks that the data it was made from is still there (not erased)
 */
public record ServedModel(String name, int version, Digest digest, Classifier model,
    DataCheck data) implements AutoCloseable {
  /** Whether the data a served model was made from is still there. */
  @FunctionalInterface
  public interface DataCheck {
    /**
     * @throws VerificationException if it was erased or is missing
     * @throws IOException if the store cannot be looked at now
     */
    void check() throws VerificationException, IOException;
  }

  public ServedModel {
    if (model.inputProfile().isEmpty() || model.outputProfile().isEmpty()) {
      throw new IllegalArgumentException("a served model needs its input and output profiles");
    }
  }

  /** Its predictions on the holdout split, the behaviour monitor's baseline. */
  public OutputProfile outputProfile() {
    return model.outputProfile().orElseThrow();
  }

  /** What the model's training inputs looked like, for the input guard. */
  public InputProfile inputProfile() {
    return model.inputProfile().orElseThrow();
  }

  /**
   * Loads a registered model, {@code NAME} (its newest version) or {@code NAME@VERSION}: the
   * signed registration, then every link of its chain, then the model bytes (digest checked),
   * then the model.
   *
   * @throws VerificationException naming the link or artifact that does not verify
   * @throws BadInputException if the reference is malformed or names an unknown model or version
   *     (as {@code verify-chain} does), or the model lacks the profiles the gateway's guard and
   *     monitor need
   */
  public static ServedModel load(
      String ref, ModelRegistry registry, ChainVerifier verifier, Trust trust, String runId)
      throws BastionException, IOException {
    // A name with nothing registered under it, a malformed reference or an unknown version is
    // bad input, as for verify-chain.
    ModelRegistry.Registration reg = registry.resolve(ref);
    Chain chain = registry.chainOf(reg, trust, "gateway", runId);
    byte[] bytes = verifier.verify(chain, "gateway", runId);
    String where = "model " + reg.model();
    Classifier model;
    try {
      // For an import, the verifier has also checked that the artifact wraps the file its
      // provenance names.
      model = chain instanceof ImportChain
          ? ImportedModel.fromBytes(bytes, where) : TabularModel.fromBytes(bytes, where);
    } catch (BadInputException e) {
      // Its chain verified, so this is not bad input from whoever asked for it: a registered
      // model that cannot be served (another runtime version, say) is refused like a bad link.
      throw new VerificationException(where + " verified but does not load: " + e.getMessage(),
          e);
    }
    if (model.inputProfile().isEmpty() || model.outputProfile().isEmpty()) {
      close(model);
      // Without them the input guard and the behaviour monitor cannot decide, and a guard that
      // cannot decide refuses.
      throw new BadInputException("model '" + reg.name() + "' v" + reg.version()
          + " was trained without the input and output profiles the gateway's guard and"
          + " monitor need; train it again with this version of Bastion");
    }
    return new ServedModel(reg.name(), reg.version(), reg.model(), model,
        () -> verifier.checkDataPresent(chain, "gateway", runId));
  }

  /** Releases what the model holds outside the heap (an imported model's native session). */
  @Override
  public void close() {
    close(model);
  }

  private static void close(Classifier model) {
    if (model instanceof ImportedModel imported) {
      imported.close();
    }
  }
}
