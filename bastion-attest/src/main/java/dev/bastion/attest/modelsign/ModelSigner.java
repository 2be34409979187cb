package dev.bastion.attest.modelsign;

import dev.bastion.core.AtomicFiles;
import dev.bastion.core.BadInputException;
import dev.bastion.core.InputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Signs a model (a directory or a single file) as an OpenSSF Model Signing (OMS) v1.0 bundle:
 * a Sigstore bundle v0.3 holding a DSSE envelope over an in-toto statement whose predicate lists
 * every file's SHA-256.
 *
 * <p>The signature file itself and top-level git metadata ({@code .git}, {@code .github},
 * {@code .gitignore}, ...) are never signed; what was left out is recorded in the bundle.
 * Symbolic links are refused unless allowed, and never followed out of the model.
 */
public final class ModelSigner {
  private ModelSigner() {}

  /**
   * How to sign.
   *
   * @param method files (default) or shards
   * @param shardSize the byte-range size for shards; ignored for files
   * @param allowSymlinks follow symbolic links whose targets lie inside the model (off by
   *     default; a link leading outside the model or making a cycle is refused even then)
   * @param ignorePaths paths to leave out (see {@link Scope#explicitIgnores})
   * @param signatureFile where the bundle will be written, left out if inside the model
   */
  public record Options(
      Serialization.Method method,
      long shardSize,
      boolean allowSymlinks,
      List<Path> ignorePaths,
      Optional<Path> signatureFile) {
    public Options {
      Objects.requireNonNull(method);
      ignorePaths = List.copyOf(ignorePaths);
      Objects.requireNonNull(signatureFile);
      if (method == Serialization.Method.SHARDS && shardSize <= 0) {
        throw new IllegalArgumentException("shard size must be positive");
      }
    }

    /** The files method, nothing ignored beyond the defaults. */
    public static Options files() {
      return new Options(Serialization.Method.FILES, 0, false, List.of(), Optional.empty());
    }

    /** The shards method with {@code shardSize}-byte ranges. */
    public static Options shards(long shardSize) {
      return new Options(Serialization.Method.SHARDS, shardSize, false, List.of(), Optional.empty());
    }

    public Options withIgnorePaths(List<Path> paths) {
      return new Options(method, shardSize, allowSymlinks, paths, signatureFile);
    }

    public Options withSignatureFile(Path file) {
      return new Options(method, shardSize, allowSymlinks, ignorePaths, Optional.of(file));
    }

    public Options withAllowSymlinks(boolean allow) {
      return new Options(method, shardSize, allow, ignorePaths, signatureFile);
    }
  }

  /**
   * Hashes the model and signs its manifest.
   *
   * @throws BadInputException if the model is missing, empty after exclusions, holds a symbolic
   *     link or a special file, or cannot be read
   */
  public static Bundle sign(Path model, SigningKey key, Options options) throws BadInputException {
    Set<String> explicit =
        Scope.explicitIgnores(model, options.ignorePaths(), options.signatureFile());
    ModelFiles.Listing listing =
        ModelFiles.list(model, options.allowSymlinks(), IgnoreRules.forSigning(explicit));
    if (listing.files().isEmpty()) {
      throw new BadInputException(model + ": the model has no file to sign after exclusions");
    }
    if (options.signatureFile().isPresent()
        && listing.singleFile()
        && listing.root().equals(options.signatureFile().get().toAbsolutePath().normalize())) {
      throw new BadInputException(model + ": the signature would overwrite the model");
    }
    List<String> recorded = new ArrayList<>();
    if (!listing.singleFile()) {
      Set<String> all = new TreeSet<>(Resource::compareCodePoints);
      all.addAll(explicit);
      all.addAll(IgnoreRules.GIT_DEFAULTS);
      all.addAll(listing.defaultIgnored());
      recorded.addAll(all);
    }
    Serialization s =
        options.method() == Serialization.Method.FILES
            ? Serialization.files(options.allowSymlinks(), recorded)
            : Serialization.shards(options.shardSize(), options.allowSymlinks(), recorded);
    Manifest manifest = ModelHasher.manifest(listing, s);
    if (manifest.resources().isEmpty()) {
      // Only empty files, which the shards method does not list: a signature over nothing.
      throw new BadInputException(
          model + ": every file is empty, and the shards method lists no byte range for an empty"
              + " file; sign with the files method");
    }
    return sign(manifest, key);
  }

  /** Signs an already computed manifest. */
  static Bundle sign(Manifest manifest, SigningKey key) {
    byte[] payload = manifest.statementJson();
    byte[] sig = key.sign(Pae.of(Bundle.IN_TOTO, payload));
    Bundle.Material material =
        key.certificates().isEmpty()
            ? new Bundle.PublicKeyRef(Optional.of(key.hint()), Optional.empty())
            : new Bundle.CertificateChain(key.certificates());
    return new Bundle(Bundle.MEDIA_TYPE, material, Bundle.IN_TOTO, payload,
        List.of(new Bundle.Blob(sig)));
  }

  /**
   * Signs the model and writes the bundle to {@code out} atomically (complete or absent).
   *
   * @return the bundle written
   */
  public static Bundle signTo(Path model, SigningKey key, Options options, Path out)
      throws BadInputException, IOException {
    // The signature file is left out of the model; if it names a model file, signing would leave
    // that file unsigned and then overwrite it. Only an earlier bundle may be replaced.
    if (Files.isRegularFile(out)
        && Scope.relativeInside(model.toAbsolutePath().normalize(), out) != null) {
      try {
        Bundle.parse(InputFiles.read(out, "signature file", Bundle.MAX_BYTES));
      } catch (BadInputException e) {
        throw new BadInputException(
            out + ": exists inside the model and is not a signature bundle; not overwriting it", e);
      }
    }
    Bundle b = sign(model, key, options.withSignatureFile(out));
    AtomicFiles.write(out, b.toJson());
    return b;
  }
}
