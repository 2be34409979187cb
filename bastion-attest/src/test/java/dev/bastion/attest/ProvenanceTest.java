package dev.bastion.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Keyring;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProvenanceTest {
  private static final long SEED = 0x51_5AL;

  /** Seeded input sets of 0 to 6 named digests, in a random order. */
  static Stream<Arguments> inputSets() {
    Random r = new Random(SEED);
    return IntStream.range(0, 10)
        .mapToObj(
            i -> {
              Map<String, Digest> inputs = new LinkedHashMap<>();
              for (int k = i % 7; k > 0; k--) {
                byte[] raw = new byte[32];
                r.nextBytes(raw);
                inputs.put("input-" + r.nextInt(1000) + ".csv", Digest.ofRaw(raw));
              }
              return Arguments.of(i, inputs);
            });
  }

  private static Provenance provenance(Map<String, Digest> inputs) {
    Provenance p =
        Provenance.stage("train", "run-42")
            .parameter("epochs", "5")
            .parameter("options", Json.object().put("seed", 7))
            .started(Instant.parse("2026-01-02T03:04:05Z"))
            .finished(Instant.parse("2026-01-02T03:04:06.5Z"));
    inputs.forEach(p::input);
    return p;
  }

  @ParameterizedTest(name = "set {0}")
  @MethodSource("inputSets")
  void inputsAreResolvedDependenciesAndReadBack(int caseNo, Map<String, Digest> inputs)
      throws Exception {
    JsonNode predicate = provenance(inputs).toPredicate();

    JsonNode deps = predicate.path("buildDefinition").path("resolvedDependencies");
    assertThat(deps.isArray()).isTrue();
    List<String> written = new ArrayList<>();
    deps.forEach(d -> written.add(d.path("name").asText() + "=" + d.path("digest").path("sha256").asText()));
    List<String> expected = new ArrayList<>();
    inputs.forEach((n, d) -> expected.add(n + "=" + d.hex()));
    assertThat(written).containsExactlyElementsOf(expected);
    assertThat(Provenance.inputsOf(predicate)).containsExactlyEntriesOf(inputs);
    // And after a trip through canonical JSON text.
    JsonNode reread = Json.parse(Json.canonical(predicate), "provenance");
    assertThat(Provenance.inputsOf(reread)).containsExactlyEntriesOf(inputs);
  }

  @Test
  void predicateHasTheSlsaV1Shape() {
    JsonNode p = provenance(Map.of("data.csv", Digest.of(new byte[0]))).toPredicate();

    assertThat(p.path("buildDefinition").path("buildType").asText()).isEqualTo(Provenance.BUILD_TYPE);
    assertThat(Provenance.stageOf(p)).isEqualTo("train");
    assertThat(p.path("buildDefinition").path("externalParameters").path("parameters").path("epochs").asText())
        .isEqualTo("5");
    assertThat(p.path("runDetails").path("builder").path("id").asText())
        .isEqualTo("urn:bastion:component:train");
    assertThat(Provenance.builderOf(p)).isEqualTo("train");
    JsonNode trainer = provenance(Map.of()).builder("trainer").internal("epochs", "7").toPredicate();
    assertThat(Provenance.builderOf(trainer)).isEqualTo("trainer");
    assertThat(trainer.path("buildDefinition").path("internalParameters").path("epochs").asText())
        .isEqualTo("7");
    assertThat(trainer.path("buildDefinition").path("internalParameters").path("jvm").asText())
        .isNotBlank();
    assertThat(p.path("runDetails").path("builder").path("version").path("bastion").asText()).isNotBlank();
    assertThat(p.path("runDetails").path("metadata").path("invocationId").asText()).isEqualTo("run-42");
    assertThat(p.path("runDetails").path("metadata").path("startedOn").asText()).isEqualTo("2026-01-02T03:04:05Z");
    assertThat(p.path("runDetails").path("metadata").path("finishedOn").asText()).isEqualTo("2026-01-02T03:04:06.500Z");
  }

  @Test
  void laterParametersDoNotChangeAnEarlierPredicate() {
    Provenance p = provenance(Map.of());
    JsonNode before = p.toPredicate();

    p.parameter("epochs", "6");

    assertThat(before.path("buildDefinition").path("externalParameters").path("parameters").path("epochs").asText())
        .isEqualTo("5");
  }

  @Test
  void inputsSurviveSigningAndVerification(@TempDir Path tmp) throws Exception {
    Keyring keyring = Keyring.initialise(tmp.resolve("keys"));
    Map<String, Digest> inputs = new LinkedHashMap<>();
    inputs.put("train.csv", Digest.of("a".getBytes(StandardCharsets.UTF_8)));
    inputs.put("spec.json", Digest.of("b".getBytes(StandardCharsets.UTF_8)));
    Statement st =
        Statement.of(
            "model.bin",
            Digest.of("m".getBytes(StandardCharsets.UTF_8)),
            Provenance.PREDICATE_TYPE,
            provenance(inputs).toPredicate());
    Envelope e = Envelope.parse(st.sign(keyring.signer("trainer")).toJson(), "prov");

    Statement verified =
        Statement.verify(e, keyring.trust(), "trainer", Provenance.PREDICATE_TYPE, "prov");

    assertThat(Provenance.inputsOf(verified.predicate())).containsExactlyEntriesOf(inputs);
  }

  static Stream<Arguments> notProvenance() {
    String hex = Digest.of(new byte[0]).hex();
    return Stream.of(
        Arguments.of("empty object", "{}"),
        Arguments.of("no resolvedDependencies", "{\"buildDefinition\":{}}"),
        Arguments.of("resolvedDependencies an object", "{\"buildDefinition\":{\"resolvedDependencies\":{}}}"),
        Arguments.of("dependency without digest", "{\"buildDefinition\":{\"resolvedDependencies\":[{\"name\":\"a\"}]}}"),
        Arguments.of(
            "dependency with sha512 only",
            "{\"buildDefinition\":{\"resolvedDependencies\":[{\"name\":\"a\",\"digest\":{\"sha512\":\"" + hex + "\"}}]}}"),
        Arguments.of(
            "short digest",
            "{\"buildDefinition\":{\"resolvedDependencies\":[{\"name\":\"a\",\"digest\":{\"sha256\":\"" + hex.substring(2) + "\"}}]}}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notProvenance")
  void inputsOfRejects(String what, String doc) throws BadInputException {
    JsonNode predicate = Json.parse(doc.getBytes(StandardCharsets.UTF_8), what);

    assertThatThrownBy(() -> Provenance.inputsOf(predicate)).isInstanceOf(VerificationException.class);
  }
}
