package dev.bastion.attest.modelsign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bundles the OMS reference implementation made (v0.2.0 to v1.1.0), and the cases derived
 * from them that must fail. See {@code src/test/resources/oms/README.md}.
 */
class OmsVectorTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /**
   * One reference vector.
   *
   * @param dir the vector folder
   * @param model the model path inside it ("" for the folder itself)
   * @param certificate certificate method (else key method)
   * @param ignoreMe whether the folder holds the unsigned file {@code ignore-me}
   * @param recordsIgnore whether the bundle records {@code ignore-me} in ignore_paths
   * @param legacy whether it uses the v0.2 predicate
   */
  record Case(
      String dir, String model, boolean certificate, boolean ignoreMe, boolean recordsIgnore,
      boolean legacy) {
    @Override
    public String toString() {
      return dir;
    }
  }

  static final List<Case> CASES =
      List.of(
          new Case("v0.2.0-certificate", "", true, false, false, true),
          new Case("v0.3.1-certificate", "", true, false, false, false),
          new Case("v0.3.1-elliptic-key", "signme-1", false, false, false, false),
          new Case("v1.0.0-certificate", "", true, false, false, false),
          new Case("v1.0.0-elliptic-key", "signme-1", false, false, false, false),
          new Case("v1.0.1-certificate", "", true, true, false, false),
          new Case("v1.0.1-elliptic-key", "", false, true, false, false),
          new Case("v1.1.0-certificate", "", true, true, true, false),
          new Case("v1.1.0-elliptic-key", "", false, true, true, false));

  static Stream<Case> cases() {
    return CASES.stream();
  }

  private Path model(Case c, Path folder) {
    return c.model().isEmpty() ? folder : folder.resolve(c.model());
  }

  private static TrustRoot trust(Case c) throws Exception {
    return c.certificate() ? OmsFixtures.vectorCa() : OmsFixtures.vectorKey();
  }

  private static ModelVerifier.Options ignoring(String... paths) {
    return ModelVerifier.Options.defaults()
        .withIgnorePaths(Arrays.stream(paths).map(Path::of).toList());
  }

  private static VerifiedModel verify(Path model, Path bundle, TrustRoot trust,
      ModelVerifier.Options o) throws Exception {
    return ModelVerifier.verify(model, bundle, trust, o);
  }

  // ---- every key and certificate bundle verifies ----

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void verifiesWithTheIgnorePathsTheReadmeGives(Case c) throws Exception {
    Path folder = OmsFixtures.vectors().resolve(c.dir());
    ModelVerifier.Options o = c.ignoreMe() ? ignoring("ignore-me") : ignoring();

    VerifiedModel v = verify(model(c, folder), folder.resolve("model.sig"), trust(c), o);

    assertThat(v.legacy()).isEqualTo(c.legacy());
    assertThat(v.manifest().resources()).isNotEmpty();
    assertThat(v.signer()).startsWith(c.certificate() ? "certificate" : "key");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void ignorePathsAreTakenFromAnywhereTheyAreGiven(Case c) throws Exception {
    // Relative to the model (above), relative to the working directory, or absolute.
    Path folder = OmsFixtures.vectors().resolve(c.dir());
    if (!c.ignoreMe()) {
      return;
    }
    verify(folder, folder.resolve("model.sig"), trust(c),
        ignoring(folder.resolve("ignore-me").toAbsolutePath().toString()));
    Path cwdRelative = Path.of("").toAbsolutePath().relativize(folder.resolve("ignore-me"));
    verify(folder, folder.resolve("model.sig"), trust(c), ignoring(cwdRelative.toString()));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"v1.1.0-certificate", "v1.1.0-elliptic-key"})
  void bundlesThatRecordTheirIgnorePathsVerifyWithoutTheFlag(String dir) throws Exception {
    Case c = CASES.stream().filter(x -> x.dir().equals(dir)).findFirst().orElseThrow();
    Path folder = OmsFixtures.vectors().resolve(dir);

    verify(folder, folder.resolve("model.sig"), trust(c), ignoring());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"v1.0.1-certificate", "v1.0.1-elliptic-key"})
  void bundlesThatDoNotRecordThemNameTheUnsignedFile(String dir) throws Exception {
    Case c = CASES.stream().filter(x -> x.dir().equals(dir)).findFirst().orElseThrow();
    Path folder = OmsFixtures.vectors().resolve(dir);

    assertThatThrownBy(() -> verify(folder, folder.resolve("model.sig"), trust(c), ignoring()))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("1 added")
        .hasMessageContaining("added (not signed): ignore-me");
    verify(folder, folder.resolve("model.sig"), trust(c), ignoring().withIgnoreUnsignedFiles(true));
  }

  @Test
  void theLegacyBundleListsEveryFileAsASubject() throws Exception {
    Path folder = OmsFixtures.vectors().resolve("v0.2.0-certificate");
    VerifiedModel v =
        verify(folder, folder.resolve("model.sig"), OmsFixtures.vectorCa(), ignoring());

    assertThat(v.manifest().resources()).extracting(Resource::name)
        .containsExactly("signme-1", "signme-2");
  }

  @Test
  void aSingleFileModelHasOneResourceNamedDot() throws Exception {
    Path folder = OmsFixtures.vectors().resolve("v1.0.0-elliptic-key");
    VerifiedModel v = verify(folder.resolve("signme-1"), folder.resolve("model.sig"),
        OmsFixtures.vectorKey(), ignoring());

    assertThat(v.manifest().resources()).extracting(Resource::name).containsExactly(".");
    assertThat(v.manifest().modelName()).isEqualTo("signme-1");
  }

  // ---- the keyless (Sigstore) bundles parse, and fail closed ----

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"v0.3.1-sigstore", "v1.0.0-sigstore", "v1.0.1-sigstore", "v1.1.0-sigstore"})
  void sigstoreBundlesParseButNeverVerifyWithoutTheSigstoreTrustRoot(String dir) throws Exception {
    Path folder = OmsFixtures.vectors().resolve(dir);
    Bundle b = Bundle.parse(Files.readAllBytes(folder.resolve("model.sig")));
    assertThat(b.material()).isInstanceOf(Bundle.Keyless.class);
    assertThat(((Bundle.Keyless) b.material()).tlogEntries()).isPositive();

    for (TrustRoot t : List.of(OmsFixtures.vectorKey(), OmsFixtures.vectorCa())) {
      assertThatThrownBy(() -> verify(folder, folder.resolve("model.sig"), t, ignoring("ignore-me")))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining("keyless Sigstore bundle")
          .hasMessageContaining("not trusted");
    }
  }

  // ---- the OMS specification's example bundles ----

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"key", "certificate"})
  void theSpecificationsValidBundlesVerify(String method) throws Exception {
    // They sign the model of the v1.1.0 key vector (signme-1 of 9 bytes, signme-2).
    Path model = OmsFixtures.copyVector("v1.1.0-elliptic-key", tmp);
    Files.delete(model.resolve("model.sig"));
    Path bundle = OmsFixtures.vectors().resolve("spec/test-vectors/v1.0/valid/" + method + ".bundle.json");
    TrustRoot t = method.equals("key") ? OmsFixtures.vectorKey() : OmsFixtures.vectorCa();

    verify(model, bundle, t, ignoring());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
    "valid/sigstore", "invalid/empty", "invalid/missing-envelope",
    "invalid/missing-tlog-entries", "invalid/missing-verification-material",
    "invalid-payload/wrong-predicate"})
  void theSpecificationsOtherBundlesDoNotVerify(String name) throws Exception {
    Path model = OmsFixtures.copyVector("v1.1.0-elliptic-key", tmp);
    Path bundle = OmsFixtures.vectors().resolve("spec/test-vectors/v1.0/" + name + ".bundle.json");

    assertThatThrownBy(() -> verify(model, bundle, OmsFixtures.vectorKey(), ignoring()))
        .isInstanceOfAny(VerificationException.class, BadInputException.class);
  }

  // ---- derived cases: each must fail ----

  /** A change to a copied vector, and what the failure must say. */
  private record Mutation(String name, Mutator change, Class<? extends Exception> fails,
      String message) {}

  @FunctionalInterface
  private interface Mutator {
    /** Changes the model or the bundle; may return another trust root to verify with. */
    TrustRoot apply(Case c, Path model, Path bundle, TrustRoot trust) throws Exception;
  }

  private static Mutator bundleJson(UnaryOperator<ObjectNode> f) {
    return (c, model, bundle, trust) -> {
      ObjectNode root = (ObjectNode) JSON.readTree(bundle.toFile());
      Files.write(bundle, JSON.writeValueAsBytes(f.apply(root)));
      return trust;
    };
  }

  private static Mutator payload(UnaryOperator<String> f) {
    return bundleJson(root -> {
      ObjectNode env = (ObjectNode) root.get("dsseEnvelope");
      String p = new String(Base64.getDecoder().decode(env.get("payload").asText()),
          StandardCharsets.UTF_8);
      env.put("payload", Base64.getEncoder().encodeToString(f.apply(p).getBytes(StandardCharsets.UTF_8)));
      return root;
    });
  }

  private static final List<Mutation> MUTATIONS =
      List.of(
          new Mutation("one byte of a signed file changed", (c, model, bundle, trust) -> {
            Path f = Files.isDirectory(model) ? model.resolve("signme-2") : model;
            if (!Files.exists(f)) {
              f = model.resolve("signme-1");
            }
            byte[] b = Files.readAllBytes(f);
            b[b.length / 2] ^= 1;
            Files.write(f, b);
            return trust;
          }, VerificationException.class, "modified (digest differs)"),
          new Mutation("a signed file removed", (c, model, bundle, trust) -> {
            Files.delete(Files.isDirectory(model) ? model.resolve("signme-1") : model);
            return trust;
          }, Exception.class, null),
          new Mutation("a file added", (c, model, bundle, trust) -> {
            Path dir = Files.isDirectory(model) ? model : null;
            if (dir == null) {
              // A single-file model has no room for another file: grow the file instead.
              Files.write(model, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
            } else {
              Files.createDirectories(dir.resolve("sub"));
              Files.writeString(dir.resolve("sub/extra.bin"), "not signed");
            }
            return trust;
          }, VerificationException.class, "the model does not match"),
          new Mutation("payload altered",
              payload(p -> p.replaceFirst("\"digest\": \\{\\s*\"sha256\": \"[0-9a-f]",
                  "\"digest\": {\"sha256\": \"0").replaceFirst("(\"sha256\": \")([0-9a-f])", "$1f")),
              VerificationException.class, "signature does not verify"),
          new Mutation("signature altered", bundleJson(root -> {
            ObjectNode sig = (ObjectNode) root.get("dsseEnvelope").get("signatures").get(0);
            byte[] s = Base64.getDecoder().decode(sig.get("sig").asText());
            s[s.length - 1] ^= 1;
            sig.put("sig", Base64.getEncoder().encodeToString(s));
            return root;
          }), VerificationException.class, "signature does not verify"),
          new Mutation("media type altered", bundleJson(root -> root.put("mediaType",
              "application/vnd.dev.sigstore.bundle.v0.2+json")),
              VerificationException.class, "media type"),
          new Mutation("payload type altered", bundleJson(root -> {
            ((ObjectNode) root.get("dsseEnvelope")).put("payloadType", "application/json");
            return root;
          }), VerificationException.class, "payload type"),
          new Mutation("predicate type altered",
              payload(p -> p.replace("https://model_signing/signature/v1.0",
                  "https://model_signing/signature/v9.9")
                  .replace("https://model_signing/Digests/v0.1", "https://model_signing/Digests/v9.9")),
              VerificationException.class, "signature does not verify"),
          new Mutation("wrong public key, or a chain from another CA",
              (c, model, bundle, trust) -> c.certificate()
                  ? TrustRoot.certificatePems(List.of(OmsFixtures.certPem(
                      OmsFixtures.pki("other", "secp384r1").root())))
                  : new TrustRoot.Key(OmsFixtures.ecKeyPair("secp384r1").getPublic()),
              VerificationException.class, null),
          new Mutation("verified with the other method",
              (c, model, bundle, trust) -> c.certificate()
                  ? OmsFixtures.vectorKey() : OmsFixtures.vectorCa(),
              VerificationException.class, "was signed with a"),
          new Mutation("bundle truncated", (c, model, bundle, trust) -> {
            byte[] b = Files.readAllBytes(bundle);
            Files.write(bundle, Arrays.copyOf(b, b.length / 2));
            return trust;
          }, BadInputException.class, "not valid JSON"),
          new Mutation("bundle empty", (c, model, bundle, trust) -> {
            Files.write(bundle, new byte[0]);
            return trust;
          }, BadInputException.class, "empty"));

  @Test
  void everyDerivedCaseFails() throws Exception {
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (Case c : CASES) {
      for (Mutation m : MUTATIONS) {
        Path work = Files.createTempDirectory(tmp, "case");
        Path folder = OmsFixtures.copyVector(c.dir(), work);
        Path bundle = work.resolve("model.sig");
        Files.move(folder.resolve("model.sig"), bundle);
        Path model = model(c, folder);
        TrustRoot t = m.change().apply(c, model, bundle, trust(c));
        ModelVerifier.Options o = c.ignoreMe() ? ignoring("ignore-me") : ignoring();
        checked++;
        try {
          ModelVerifier.verify(model, bundle, t, o);
          problems.add(c.dir() + " / " + m.name() + ": verified");
        } catch (Exception e) {
          if (!m.fails().isInstance(e)
              || !(e instanceof VerificationException || e instanceof BadInputException)) {
            problems.add(c.dir() + " / " + m.name() + ": " + e);
          } else if (m.message() != null && !e.getMessage().contains(m.message())) {
            problems.add(c.dir() + " / " + m.name() + ": message '" + e.getMessage() + "'");
          }
        }
      }
    }
    assertThat(problems).isEmpty();
    assertThat(checked).isEqualTo(CASES.size() * MUTATIONS.size());
  }

  @Test
  void everyChangeIsListedInOneReport() throws Exception {
    Path folder = OmsFixtures.copyVector("v1.1.0-elliptic-key", tmp);
    Files.writeString(folder.resolve("signme-1"), "changed");
    Files.delete(folder.resolve("signme-2"));
    Files.writeString(folder.resolve("new-1"), "x");
    Files.createDirectories(folder.resolve("d"));
    Files.writeString(folder.resolve("d/new-2"), "y");

    assertThatThrownBy(() -> verify(folder, folder.resolve("model.sig"), OmsFixtures.vectorKey(),
            ignoring()))
        .isInstanceOf(VerificationException.class)
        .hasMessageStartingWith("the model does not match its signature: 2 added, 1 removed, 1 modified")
        .hasMessageContaining("\n  added (not signed): d/new-2")
        .hasMessageContaining("\n  added (not signed): new-1")
        .hasMessageContaining("\n  removed (signed, missing): signme-2")
        .hasMessageContaining("\n  modified (digest differs): signme-1");
  }

  @Test
  void ignoreUnsignedFilesToleratesAddedFilesOnly() throws Exception {
    Path folder = OmsFixtures.copyVector("v1.1.0-elliptic-key", tmp);
    Files.writeString(folder.resolve("extra"), "x");
    ModelVerifier.Options o = ignoring().withIgnoreUnsignedFiles(true);
    verify(folder, folder.resolve("model.sig"), OmsFixtures.vectorKey(), o);

    Files.delete(folder.resolve("signme-2"));
    assertThatThrownBy(() -> verify(folder, folder.resolve("model.sig"), OmsFixtures.vectorKey(), o))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("1 removed")
        .hasMessageNotContaining("added");
  }

  @Test
  void theVectorSigningKeySignsBundlesTheVectorsVerifyWith() throws Exception {
    // The test key is SEC1 PEM after certtool's text dump; it must load as it is.
    Path model = OmsFixtures.copyVector("v1.1.0-elliptic-key", tmp);
    SigningKey key = SigningKey.fromPem(OmsFixtures.read("keys/certificate/signing-key.pem"), "key");
    Path sig = tmp.resolve("bastion.sig");
    ModelSigner.signTo(model, key, ModelSigner.Options.files().withIgnorePaths(
        List.of(Path.of("ignore-me"), Path.of("model.sig"))), sig);

    Bundle b = Bundle.parse(Files.readAllBytes(sig));
    assertThat(((Bundle.PublicKeyRef) b.material()).hint())
        .contains("e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e");
    verify(model, sig, OmsFixtures.vectorKey(), ignoring());
  }
}
