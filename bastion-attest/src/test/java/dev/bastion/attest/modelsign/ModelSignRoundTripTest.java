package dev.bastion.attest.modelsign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Sign with fresh keys and certificates, by files and by shards, then verify. */
class ModelSignRoundTripTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private Path model() throws Exception {
    Path m = tmp.resolve("my-model");
    Files.createDirectories(m.resolve("sub/deeper"));
    Files.writeString(m.resolve("config.json"), "{\"layers\": 3}");
    Files.write(m.resolve("weights.bin"), new byte[3 * 1024 + 7]);
    Files.writeString(m.resolve("sub/deeper/adapter.bin"), "adapter");
    Files.write(m.resolve("sub/empty"), new byte[0]);
    Files.createDirectories(m.resolve(".git/objects"));
    Files.writeString(m.resolve(".git/HEAD"), "ref: refs/heads/main");
    Files.writeString(m.resolve(".gitattributes"), "*.bin filter=lfs");
    Files.writeString(m.resolve("sub/.gitignore"), "nested git files are model files");
    return m;
  }

  static Stream<Arguments> keyCases() {
    List<Arguments> out = new ArrayList<>();
    for (String curve : List.of("secp256r1", "secp384r1", "secp521r1")) {
      out.add(Arguments.of(curve, ModelSigner.Options.files()));
      out.add(Arguments.of(curve, ModelSigner.Options.shards(1000)));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("keyCases")
  void keyMethodRoundTrip(String curve, ModelSigner.Options options) throws Exception {
    Path m = model();
    KeyPair kp = OmsFixtures.ecKeyPair(curve);
    SigningKey key = SigningKey.fromPem(OmsFixtures.privatePem(kp.getPrivate()), "key.pem");
    Path sig = m.resolve("model.sig");

    ModelSigner.signTo(m, key, options, sig);
    TrustRoot trust = TrustRoot.publicKeyPem(OmsFixtures.publicPem(kp.getPublic()), "pub.pem");
    VerifiedModel v = ModelVerifier.verify(m, sig, trust, ModelVerifier.Options.defaults());

    List<String> files = v.manifest().resources().stream().map(Resource::name).toList();
    if (options.method() == Serialization.Method.FILES) {
      assertThat(files).containsExactly(
          "config.json", "sub/.gitignore", "sub/deeper/adapter.bin", "sub/empty", "weights.bin");
    } else {
      // 3079 bytes in ranges of 1000; the empty file has no range (OMS 6.3.2).
      assertThat(files).containsExactly(
          "config.json:0:13", "sub/.gitignore:0:32", "sub/deeper/adapter.bin:0:7",
          "weights.bin:0:1000", "weights.bin:1000:2000", "weights.bin:2000:3000",
          "weights.bin:3000:3079");
    }
    JsonNode statement = statement(sig);
    assertThat(statement.at("/subject/0/name").asText()).isEqualTo("my-model");
    assertThat(statement.at("/predicate/serialization/ignore_paths").toString())
        .isEqualTo("[\".git\",\".gitattributes\",\".github\",\".gitignore\",\"model.sig\"]");
    assertThat(v.signer()).isEqualTo("key " + key.hint());
  }

  @ParameterizedTest(name = "leaf on {0}")
  @ValueSource(strings = {"secp256r1", "secp384r1", "secp521r1"})
  void certificateMethodRoundTrip(String curve) throws Exception {
    Path m = model();
    OmsFixtures.Pki pki = OmsFixtures.pki("acme", curve);
    SigningKey key = SigningKey.withCertificates(
        OmsFixtures.privatePem(pki.leafKey().getPrivate()), OmsFixtures.certPem(pki.leaf()),
        List.of(OmsFixtures.certPem(pki.intermediate())), "leaf.pem");
    Path sig = tmp.resolve("model.sig");

    ModelSigner.signTo(m, key, ModelSigner.Options.files(), sig);
    TrustRoot root = TrustRoot.certificatePems(List.of(OmsFixtures.certPem(pki.root())));
    VerifiedModel v = ModelVerifier.verify(m, sig, root, ModelVerifier.Options.defaults());

    assertThat(v.signer()).contains("acme model signer");
    Bundle b = Bundle.parse(Files.readAllBytes(sig));
    assertThat(((Bundle.CertificateChain) b.material()).certificates())
        .containsExactly(pki.leaf(), pki.intermediate());

    // Trusting the intermediate directly works too; another CA does not.
    ModelVerifier.verify(m, sig,
        TrustRoot.certificatePems(List.of(OmsFixtures.certPem(pki.intermediate()))),
        ModelVerifier.Options.defaults());
    OmsFixtures.Pki other = OmsFixtures.pki("other", curve);
    assertThatThrownBy(() -> ModelVerifier.verify(m, sig,
            TrustRoot.certificatePems(List.of(OmsFixtures.certPem(other.root()))),
            ModelVerifier.Options.defaults()))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("does not chain to a trusted certificate");
  }

  @Test
  void certificatesAreCheckedAtTheValidationTime() throws Exception {
    Path m = model();
    Instant start = Instant.now().minus(Duration.ofDays(10));
    OmsFixtures.Pki pki = OmsFixtures.pki("short", "secp256r1", start, Duration.ofDays(2));
    SigningKey key = SigningKey.withCertificates(
        OmsFixtures.privatePem(pki.leafKey().getPrivate()), OmsFixtures.certPem(pki.leaf()),
        List.of(OmsFixtures.certPem(pki.intermediate())), "leaf.pem");
    Path sig = tmp.resolve("model.sig");
    ModelSigner.signTo(m, key, ModelSigner.Options.files(), sig);
    TrustRoot root = TrustRoot.certificatePems(List.of(OmsFixtures.certPem(pki.root())));

    assertThatThrownBy(() -> ModelVerifier.verify(m, sig, root, ModelVerifier.Options.defaults()))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("does not chain");
    ModelVerifier.verify(m, sig, root,
        ModelVerifier.Options.defaults().at(start.plus(Duration.ofDays(1))));
  }

  @Test
  void aCertificateForAnotherKeyIsRefused() throws Exception {
    OmsFixtures.Pki pki = OmsFixtures.pki("acme", "secp256r1");
    KeyPair other = OmsFixtures.ecKeyPair("secp256r1");
    assertThatThrownBy(() -> SigningKey.withCertificates(
            OmsFixtures.privatePem(other.getPrivate()), OmsFixtures.certPem(pki.leaf()),
            List.of(), "key.pem"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("is not the private key's");
  }

  @Test
  void aSingleFileIsSignedAsDot() throws Exception {
    Path f = tmp.resolve("model.onnx");
    Files.writeString(f, "weights");
    KeyPair kp = OmsFixtures.ecKeyPair("secp256r1");
    SigningKey key = SigningKey.fromPem(OmsFixtures.privatePem(kp.getPrivate()), "k");
    Path sig = tmp.resolve("model.sig");

    ModelSigner.signTo(f, key, ModelSigner.Options.files(), sig);
    VerifiedModel v = ModelVerifier.verify(f, sig, new TrustRoot.Key(kp.getPublic()),
        ModelVerifier.Options.defaults());

    assertThat(v.manifest().resources()).extracting(Resource::name).containsExactly(".");
    assertThat(v.manifest().modelName()).isEqualTo("model.onnx");
    assertThat(v.manifest().resources().get(0).digest())
        .isEqualTo(Digest.of("weights".getBytes(StandardCharsets.UTF_8)));
    assertThat(statement(sig).at("/predicate/serialization").has("ignore_paths")).isFalse();
  }

  @Test
  void anEmptyModelIsRefused() throws Exception {
    Path m = tmp.resolve("empty");
    Files.createDirectories(m.resolve(".git"));
    Files.writeString(m.resolve(".git/config"), "x");
    SigningKey key = SigningKey.fromPem(
        OmsFixtures.privatePem(OmsFixtures.ecKeyPair("secp256r1").getPrivate()), "k");

    assertThatThrownBy(() -> ModelSigner.sign(m, key, ModelSigner.Options.files()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no file to sign");
  }

  @Test
  void aModelFileIsNeverOverwrittenByTheSignature() throws Exception {
    Path m = model();
    SigningKey key = SigningKey.fromPem(
        OmsFixtures.privatePem(OmsFixtures.ecKeyPair("secp256r1").getPrivate()), "k");
    byte[] before = Files.readAllBytes(m.resolve("config.json"));

    assertThatThrownBy(() ->
            ModelSigner.signTo(m, key, ModelSigner.Options.files(), m.resolve("config.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("not overwriting it");
    assertThat(Files.readAllBytes(m.resolve("config.json"))).isEqualTo(before);

    // An earlier bundle is replaced.
    ModelSigner.signTo(m, key, ModelSigner.Options.files(), m.resolve("model.sig"));
    ModelSigner.signTo(m, key, ModelSigner.Options.files(), m.resolve("model.sig"));
  }

  @Test
  void regressionSeed20ShardsOfEmptyFilesOnlyAreRefusedNotSignedAsNothing() throws Exception {
    // Found by ManifestPropertyTest: the shards method lists no range for an empty file, so a
    // model of empty files was signed with no resources, a bundle no verifier accepts.
    Path m = tmp.resolve("empties");
    Files.createDirectories(m.resolve("d"));
    Files.write(m.resolve("a"), new byte[0]);
    Files.write(m.resolve("d/b"), new byte[0]);
    SigningKey key = SigningKey.fromPem(
        OmsFixtures.privatePem(OmsFixtures.ecKeyPair("secp256r1").getPrivate()), "k");

    assertThatThrownBy(() -> ModelSigner.sign(m, key, ModelSigner.Options.shards(10)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("every file is empty");
    assertThat(ModelSigner.sign(m, key, ModelSigner.Options.files()).payload()).isNotEmpty();
  }

  @Test
  void signingIsDeterministicApartFromTheSignature() throws Exception {
    Path m = model();
    SigningKey key = SigningKey.fromPem(
        OmsFixtures.privatePem(OmsFixtures.ecKeyPair("secp256r1").getPrivate()), "k");
    Bundle a = ModelSigner.sign(m, key, ModelSigner.Options.files());
    Bundle b = ModelSigner.sign(m, key, ModelSigner.Options.files());

    assertThat(a.payload()).isEqualTo(b.payload());
  }

  @Test
  void aShardSizeWrittenAsADecimalIsAccepted() throws Exception {
    // "shard_size": 8.0 and the reference's "sha256-sharded-8" algorithm name: sign such a
    // statement by hand and verify it.
    Path m = tmp.resolve("m");
    Files.createDirectories(m);
    Files.writeString(m.resolve("f"), "0123456789abcdef01");
    KeyPair kp = OmsFixtures.ecKeyPair("secp256r1");
    SigningKey key = SigningKey.fromPem(OmsFixtures.privatePem(kp.getPrivate()), "k");
    Manifest manifest = ModelHasher.manifest(
        ModelFiles.list(m, false, IgnoreRules.forSigning(java.util.Set.of())),
        Serialization.shards(8, false, List.of()));
    String statement = new String(manifest.statementJson(), StandardCharsets.UTF_8)
        .replace("\"shard_size\":8", "\"shard_size\":8.0")
        .replace("\"algorithm\":\"sha256\"", "\"algorithm\":\"sha256-sharded-8\"");
    byte[] payload = statement.getBytes(StandardCharsets.UTF_8);
    Bundle bundle = new Bundle(Bundle.MEDIA_TYPE,
        new Bundle.PublicKeyRef(java.util.Optional.empty(), java.util.Optional.empty()),
        Bundle.IN_TOTO, payload,
        List.of(new Bundle.Blob(key.sign(Pae.of(Bundle.IN_TOTO, payload)))));

    VerifiedModel v = ModelVerifier.verify(m, bundle.toJson(), new TrustRoot.Key(kp.getPublic()),
        ModelVerifier.Options.defaults());
    assertThat(v.manifest().resources()).extracting(Resource::name)
        .containsExactly("f:0:8", "f:8:16", "f:16:18");

    Files.writeString(m.resolve("f"), "0123456789abcdeX01");
    assertThatThrownBy(() -> ModelVerifier.verify(m, bundle.toJson(),
            new TrustRoot.Key(kp.getPublic()), ModelVerifier.Options.defaults()))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("modified (digest differs): f");
  }

  @Test
  void keyIdMayBeAbsentNullOrEmpty() throws Exception {
    Path m = model();
    KeyPair kp = OmsFixtures.ecKeyPair("secp384r1");
    SigningKey key = SigningKey.fromPem(OmsFixtures.privatePem(kp.getPrivate()), "k");
    Bundle b = ModelSigner.sign(m, key, ModelSigner.Options.files());
    String json = new String(b.toJson(), StandardCharsets.UTF_8);
    TrustRoot t = new TrustRoot.Key(kp.getPublic());

    for (String keyId : List.of("", "\"keyid\":null,", "\"keyid\":\"anything\",")) {
      String variant = json.replace("\"keyid\":\"\",", keyId);
      ModelVerifier.verify(m, variant.getBytes(StandardCharsets.UTF_8), t,
          ModelVerifier.Options.defaults());
    }
  }

  private static JsonNode statement(Path sig) throws Exception {
    JsonNode b = JSON.readTree(sig.toFile());
    return JSON.readTree(Base64.getDecoder().decode(b.at("/dsseEnvelope/payload").asText()));
  }
}
