package dev.bastion.attest.modelsign;

import dev.bastion.attest.modelsign.Resource.ShardName;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.InputFiles;
import dev.bastion.core.VerificationException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Verifies a model against an OMS bundle: the bundle's signature by the trusted key or a
 * certificate that chains to a trusted CA, then every file of the model against the signed
 * manifest.
 *
 * <p>Security guarantees: it returns only when all of this holds, and otherwise throws, naming
 * every added, removed and modified file or the part of the bundle that is wrong. The signature is
 * checked over the exact payload bytes in the bundle; the manifest is read from those same bytes.
 * Keyless (Sigstore) bundles need the Sigstore trust root and transparency log, which Bastion does
 * not check offline, so they never verify here.
 */
public final class ModelVerifier {
  private static final Digest EMPTY = Digest.of(new byte[0]);

  private ModelVerifier() {}

  /**
   * How to verify.
   *
   * @param ignorePaths more paths to leave out, on top of those the bundle recorded
   * @param ignoreUnsignedFiles tolerate files on disk that the signature does not list
   * @param signatureFile the bundle's own path, left out if inside the model
   * @param validationTime when certificates must be valid (now, unless the caller has a trusted
   *     time for the signature)
   */
  public record Options(
      List<Path> ignorePaths,
      boolean ignoreUnsignedFiles,
      Optional<Path> signatureFile,
      Instant validationTime) {
    public Options {
      ignorePaths = List.copyOf(ignorePaths);
      Objects.requireNonNull(signatureFile);
      Objects.requireNonNull(validationTime);
    }

    public static Options defaults() {
      return new Options(List.of(), false, Optional.empty(), Instant.now());
    }

    public Options withIgnorePaths(List<Path> paths) {
      return new Options(paths, ignoreUnsignedFiles, signatureFile, validationTime);
    }

    public Options withIgnoreUnsignedFiles(boolean ignore) {
      return new Options(ignorePaths, ignore, signatureFile, validationTime);
    }

    public Options withSignatureFile(Path file) {
      return new Options(ignorePaths, ignoreUnsignedFiles, Optional.of(file), validationTime);
    }

    public Options at(Instant time) {
      return new Options(ignorePaths, ignoreUnsignedFiles, signatureFile, time);
    }
  }

  /**
   * Verifies {@code model} against the bundle in {@code bundleFile}.
   *
   * @throws BadInputException if the bundle or the model cannot be read or the bundle is not one
   * @throws VerificationException if the signature or the model does not verify
   */
  public static VerifiedModel verify(Path model, Path bundleFile, TrustRoot trust, Options options)
      throws BadInputException, VerificationException, IOException {
    byte[] json = InputFiles.read(bundleFile, "signature bundle", Bundle.MAX_BYTES);
    Options o =
        options.signatureFile().isPresent() ? options : options.withSignatureFile(bundleFile);
    try {
      return verify(model, json, trust, o);
    } catch (BadInputException e) {
      // A malformed bundle is named by its file.
      String m = e.getMessage();
      if (!m.startsWith("bundle: ")) {
        throw e;
      }
      throw new BadInputException(bundleFile + ": " + m.substring("bundle: ".length()), e);
    }
  }

  /** Verifies {@code model} against a bundle's JSON bytes. */
  public static VerifiedModel verify(Path model, byte[] bundleJson, TrustRoot trust, Options options)
      throws BadInputException, VerificationException {
    Bundle bundle = Bundle.parse(bundleJson);
    if (!Bundle.ACCEPTED_MEDIA_TYPES.contains(bundle.mediaType())) {
      throw new VerificationException(
          "bundle media type is '" + OmsStatement.abbreviate(bundle.mediaType()) + "', not "
              + Bundle.MEDIA_TYPE);
    }
    if (!Bundle.IN_TOTO.equals(bundle.payloadType())) {
      throw new VerificationException(
          "DSSE payload type is '" + OmsStatement.abbreviate(bundle.payloadType()) + "', not "
              + Bundle.IN_TOTO);
    }
    Signer signer = signer(bundle, trust, options.validationTime());
    boolean legacyEncoding = checkSignature(bundle, signer);
    OmsStatement.Parsed parsed = OmsStatement.parse(bundle.payload());
    if (legacyEncoding && !parsed.legacy()) {
      // Cannot happen (the legacy encoding is tried for legacy statements only); fail closed.
      throw new VerificationException("the signature encoding does not fit the predicate type");
    }
    Manifest signed = parsed.manifest();
    ManifestComparison cmp = compare(model, signed, options);
    if (!cmp.matches(options.ignoreUnsignedFiles())) {
      throw new VerificationException(cmp.describe(options.ignoreUnsignedFiles()));
    }
    return new VerifiedModel(signed, signer.name, parsed.legacy());
  }

  /** The key that must have signed, and how to name its holder. */
  private record Signer(PublicKey key, Keys.Curve curve, String name) {}

  private static Signer signer(Bundle bundle, TrustRoot trust, Instant at)
      throws VerificationException {
    return switch (bundle.material()) {
      case Bundle.Keyless k ->
          throw new VerificationException(
              "this is a keyless Sigstore bundle: verifying it needs the Sigstore trust root"
                  + " (Fulcio, Rekor), which Bastion does not check offline; it is not trusted");
      case Bundle.PublicKeyRef ref -> {
        if (!(trust instanceof TrustRoot.Key k)) {
          throw new VerificationException(
              "the bundle was signed with a key (publicKey), but certificates were given to"
                  + " verify it");
        }
        Keys.Curve curve = Keys.Curve.of(k.publicKey());
        if (curve == null) {
          throw new VerificationException("the public key is not on P-256, P-384 or P-521");
        }
        String hint = Keys.hint(k.publicKey());
        if (ref.hint().isPresent() && !ref.hint().get().equals(hint)) {
          throw new VerificationException(
              "the bundle names another public key (hint " + OmsStatement.abbreviate(ref.hint().get())
                  + ", the given key's is " + hint + ")");
        }
        if (ref.rawBytes().isPresent()) {
          // Bundles before v1.1.0 carry the key itself; it must be the one given.
          PublicKey named;
          try {
            named = Keys.readPublicKey(ref.rawBytes().get().bytes(), "bundle publicKey.rawBytes");
          } catch (BadInputException e) {
            throw new VerificationException("the bundle's publicKey.rawBytes is not a key", e);
          }
          if (!Arrays.equals(named.getEncoded(), k.publicKey().getEncoded())) {
            throw new VerificationException(
                "the bundle names another public key (rawBytes differs from the given key)");
          }
        }
        yield new Signer(k.publicKey(), curve, "key " + hint);
      }
      case Bundle.CertificateChain chain -> {
        if (!(trust instanceof TrustRoot.Certificates c)) {
          throw new VerificationException(
              "the bundle was signed with a certificate (x509CertificateChain), but a public key"
                  + " was given to verify it");
        }
        X509Certificate leaf = Chains.validate(chain.certificates(), c.anchors(), at);
        Keys.Curve curve = Keys.Curve.of(leaf.getPublicKey());
        if (curve == null) {
          throw new VerificationException(
              "the signing certificate's key is not EC on P-256, P-384 or P-521");
        }
        yield new Signer(leaf.getPublicKey(), curve, "certificate " + Chains.subject(leaf));
      }
    };
  }

  /**
   * Checks the DSSE signature over the exact payload bytes.
   *
   * @return whether it verified only under the legacy v0.2 encoding
   */
  private static boolean checkSignature(Bundle bundle, Signer signer)
      throws VerificationException {
    byte[] payload = bundle.payload();
    byte[] pae = Pae.of(bundle.payloadType(), payload);
    for (Bundle.Blob sig : bundle.signatures()) {
      if (Keys.verifies(signer.key, signer.curve.signatureAlgorithm, pae, sig.bytes())) {
        return false;
      }
    }
    // v0.2.0 of the reference implementation signed a mangled encoding with SHA-256 whatever the
    // curve; accept that only for statements of its own (deprecated) predicate type.
    if (OmsStatement.LEGACY_PREDICATE_TYPE.equals(OmsStatement.predicateTypeOrNull(payload))) {
      byte[] legacy = Pae.legacyV02(bundle.payloadType(), payload);
      for (Bundle.Blob sig : bundle.signatures()) {
        if (Keys.verifies(signer.key, "SHA256withECDSA", legacy, sig.bytes())) {
          return true;
        }
      }
    }
    throw new VerificationException(
        "the signature does not verify with the " + signer.name + " (payload or signature altered,"
            + " or signed by another key)");
  }

  /** Hashes the model as the signature says it was serialized and compares. */
  static ManifestComparison compare(Path model, Manifest signed, Options options)
      throws BadInputException, VerificationException {
    Serialization s = signed.serialization();
    Set<String> signedPaths = new HashSet<>();
    for (Resource r : signed.resources()) {
      signedPaths.add(filePath(s, r.name()));
    }
    Set<String> explicit =
        new TreeSet<>(Scope.explicitIgnores(model, options.ignorePaths(), options.signatureFile()));
    // The ignore paths the signer recorded apply too; a path that is not relative to the model
    // cannot match anything and is skipped (it can only make the check stricter).
    for (String p : s.ignorePaths()) {
      String n = IgnoreRules.normalize(p);
      if (n != null) {
        explicit.add(n);
      }
    }
    ModelFiles.Listing listing;
    try {
      listing = ModelFiles.list(model, s.allowSymlinks(),
          IgnoreRules.forVerifying(explicit, signedPaths));
    } catch (ModelFiles.LinkNotAllowed e) {
      // Signed without links, a link is there now: a file was added or replaced by one.
      throw new VerificationException(e.getMessage() + ": the model was changed since it was"
          + " signed (a link added, or a signed file replaced by one)", e);
    }
    List<Resource> actual = new ArrayList<>(ModelHasher.hash(listing.files(), s));
    List<Resource> expected = signed.resources();
    if (listing.singleFile()) {
      expected = singleFileNames(signed, listing.modelName());
    }
    if (s.method() == Serialization.Method.SHARDS) {
      // OMS omits empty files from shard manifests, but a producer that wrote an empty range for
      // one is matched by the same range here.
      Set<String> names = new HashSet<>();
      expected.forEach(r -> names.add(r.name()));
      for (ModelFiles.ModelFile f : listing.files()) {
        String empty = new ShardName(f.name(), 0, 0).wire();
        if (f.size() == 0 && names.contains(empty)) {
          actual.add(new Resource(empty, EMPTY));
        }
      }
    }
    return ManifestComparison.of(s.method(), expected, actual);
  }

  /**
   * A single-file model's resource is named {@code .} by the reference implementation and by its
   * file name in the OMS text; both name the one file.
   */
  private static List<Resource> singleFileNames(Manifest signed, String fileName)
      throws VerificationException {
    Serialization s = signed.serialization();
    List<Resource> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Resource r : signed.resources()) {
      String name = r.name();
      if (s.method() == Serialization.Method.SHARDS) {
        ShardName n = ShardName.parseOrNull(name);
        if (n != null && n.path().equals(fileName)) {
          name = new ShardName(ModelFiles.SINGLE_FILE_NAME, n.start(), n.end()).wire();
        }
      } else if (name.equals(fileName)) {
        name = ModelFiles.SINGLE_FILE_NAME;
      }
      if (!seen.add(name)) {
        throw new VerificationException(
            "the signed manifest names the single file twice ('.' and '" + fileName + "')");
      }
      out.add(new Resource(name, r.digest()));
    }
    return out;
  }

  private static String filePath(Serialization s, String name) {
    if (s.method() == Serialization.Method.SHARDS) {
      ShardName n = ShardName.parseOrNull(name);
      return n == null ? name : n.path();
    }
    return name;
  }
}
