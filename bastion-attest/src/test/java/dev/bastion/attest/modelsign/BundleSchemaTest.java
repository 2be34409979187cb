package dev.bastion.attest.modelsign;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every bundle Bastion writes validates against the OMS v1.0 JSON Schemas (bundle, envelope,
 * statement, predicate; draft 2020-12), and so does its decoded payload. The specification's own
 * example bundles check that the validator is wired up: the valid ones pass, the invalid fail.
 */
class BundleSchemaTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ID = "https://model_signing/%s/v1.0/schema";

  private static JsonSchema bundleSchema;
  private static JsonSchema statementSchema;

  @TempDir static Path tmp;

  @BeforeAll
  static void loadSchemas() {
    Path dir = OmsFixtures.vectors().resolve("spec/schemas/v1.0");
    // The schemas refer to each other by $id; serve those from the copies here, never the network.
    Map<String, String> local = new java.util.HashMap<>();
    for (String s : List.of("bundle", "envelope", "statement", "predicate")) {
      local.put(ID.formatted(s), dir.resolve(s + ".schema.json").toUri().toString());
    }
    JsonSchemaFactory f = JsonSchemaFactory.getInstance(
        SpecVersion.VersionFlag.V202012, b -> b.schemaMappers(m -> m.mappings(local)));
    bundleSchema = f.getSchema(SchemaLocation.of(ID.formatted("bundle")));
    statementSchema = f.getSchema(SchemaLocation.of(ID.formatted("statement")));
  }

  /** Schema violations of a bundle and of its decoded payload. */
  static List<String> violations(byte[] bundle) throws Exception {
    JsonNode b = JSON.readTree(bundle);
    List<String> out = new ArrayList<>();
    bundleSchema.validate(b).forEach(m -> out.add("bundle: " + m.getMessage()));
    JsonNode payload = b.at("/dsseEnvelope/payload");
    if (payload.isTextual()) {
      JsonNode st = JSON.readTree(Base64.getDecoder().decode(payload.asText()));
      Set<ValidationMessage> msgs = statementSchema.validate(st);
      msgs.forEach(m -> out.add("statement: " + m.getMessage()));
    }
    return out;
  }

  private static Path model() throws Exception {
    Path m = Files.createTempDirectory(tmp, "model");
    Files.createDirectories(m.resolve("sub"));
    Files.writeString(m.resolve("config.json"), "{}");
    Files.write(m.resolve("weights.bin"), new byte[2500]);
    Files.writeString(m.resolve("sub/tokenizer.json"), "[]");
    Files.write(m.resolve("sub/empty"), new byte[0]);
    Files.writeString(m.resolve(".gitignore"), "*.tmp");
    return m;
  }

  static Stream<String> methods() {
    return Stream.of("key-files", "key-shards", "certificate-files", "certificate-shards",
        "key-single-file");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("methods")
  void bundlesBastionWritesValidate(String method) throws Exception {
    Path m = model();
    SigningKey key;
    if (method.startsWith("key")) {
      key = SigningKey.fromPem(
          OmsFixtures.privatePem(OmsFixtures.ecKeyPair("secp384r1").getPrivate()), "k");
    } else {
      OmsFixtures.Pki pki = OmsFixtures.pki("schema", "secp256r1");
      key = SigningKey.withCertificates(OmsFixtures.privatePem(pki.leafKey().getPrivate()),
          OmsFixtures.certPem(pki.leaf()), List.of(OmsFixtures.certPem(pki.intermediate())), "k");
    }
    ModelSigner.Options o =
        method.endsWith("shards") ? ModelSigner.Options.shards(1000) : ModelSigner.Options.files();
    Path target = method.endsWith("single-file") ? m.resolve("weights.bin") : m;
    Path sig = m.resolve("model.sig");

    ModelSigner.signTo(target, key, o, sig);

    assertThat(violations(Files.readAllBytes(sig))).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"key", "certificate", "sigstore"})
  void theSpecificationsValidExamplesValidate(String name) throws Exception {
    assertThat(violations(OmsFixtures.read("spec/test-vectors/v1.0/valid/" + name + ".bundle.json")))
        .isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"invalid/missing-envelope", "invalid/missing-tlog-entries",
    "invalid/missing-verification-material", "invalid-payload/wrong-predicate"})
  void theSpecificationsInvalidExamplesDoNot(String name) throws Exception {
    assertThat(violations(OmsFixtures.read("spec/test-vectors/v1.0/" + name + ".bundle.json")))
        .isNotEmpty();
  }

  @Test
  void theValidatorCatchesWhatBastionMustNeverWrite() throws Exception {
    // A shard size on the files method, a second subject, a missing hash type.
    SigningKey key = SigningKey.fromPem(
        OmsFixtures.privatePem(OmsFixtures.ecKeyPair("secp256r1").getPrivate()), "k");
    byte[] good = ModelSigner.sign(model(), key, ModelSigner.Options.files()).toJson();
    JsonNode b = JSON.readTree(good);
    JsonNode st = JSON.readTree(Base64.getDecoder().decode(b.at("/dsseEnvelope/payload").asText()));
    ((com.fasterxml.jackson.databind.node.ObjectNode) st.at("/predicate/serialization"))
        .remove("hash_type");
    ((com.fasterxml.jackson.databind.node.ArrayNode) st.get("subject")).add(st.get("subject").get(0));
    ((com.fasterxml.jackson.databind.node.ObjectNode) b.get("dsseEnvelope"))
        .put("payload", Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(st)));

    assertThat(violations(JSON.writeValueAsBytes(b))).hasSizeGreaterThanOrEqualTo(2);
  }
}
