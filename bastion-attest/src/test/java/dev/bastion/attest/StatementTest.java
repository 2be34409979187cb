package dev.bastion.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Keyring;
import dev.bastion.crypto.Signer;
import dev.bastion.crypto.Trust;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StatementTest {
  private static final String GATE_TYPE = "https://bastion.dev/gate-decision/v1";
  private static final long SEED = 0x57A7EL;

  @TempDir static Path tmp;
  private static Keyring keyring;
  private static Keyring foreign;
  private static Trust trust;
  private static Signer gate;
  private static Statement statement;
  private static Envelope signed;

  @BeforeAll
  static void initialise() throws Exception {
    keyring = Keyring.initialise(tmp.resolve("keys"));
    foreign = Keyring.initialise(tmp.resolve("foreign"));
    trust = keyring.trust();
    gate = keyring.signer("gate");
    ObjectNode predicate = Json.object();
    predicate.put("decision", "pass");
    predicate.putObject("metrics").put("auc", "0.91");
    statement = Statement.of("model.bin", Digest.of(utf8("model")), GATE_TYPE, predicate);
    signed = statement.sign(gate);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aSignedStatementVerifies() throws Exception {
    Statement back = Statement.verify(signed, trust, "gate", GATE_TYPE, "decision");

    assertThat(back).isEqualTo(statement);
    assertThat(back.onlySubject()).isEqualTo(Digest.of(utf8("model")));
    assertThat(signed.payloadType()).isEqualTo(Envelope.IN_TOTO);
    assertThat(signed.payload()).isEqualTo(statement.toJson());
  }

  @Test
  void aSignedStatementSurvivesTheJsonForm() throws Exception {
    Envelope reread = Envelope.parse(signed.toJson(), "decision.dsse.json");

    assertThat(Statement.verify(reread, trust, "gate", GATE_TYPE, "decision")).isEqualTo(statement);
  }

  @Test
  void verificationUsesTheExactSignedBytes() throws Exception {
    // Not canonical: spaces, unsorted keys. Verified as signed, then parsed from those bytes.
    byte[] payload =
        utf8(
            "{ \"predicateType\": \"" + GATE_TYPE + "\", \"_type\": \"" + Statement.TYPE
                + "\", \"subject\": [ {\"name\": \"m\", \"digest\": {\"sha256\": \""
                + Digest.of(utf8("m")).hex() + "\"}} ], \"predicate\": {\"k\": \"v\"} }");
    Envelope e = Envelope.sign(Envelope.IN_TOTO, payload, gate);

    Statement s = Statement.verify(e, trust, "gate", GATE_TYPE, "odd");

    assertThat(s.subjects()).containsExactly(Map.entry("m", Digest.of(utf8("m"))));
    assertThat(s.predicate().path("k").asText()).isEqualTo("v");
  }

  private static Envelope withPayload(Envelope e, byte[] payload) {
    return new Envelope(e.payloadType(), payload, e.signatures());
  }

  static Stream<Arguments> forgeries() throws Exception {
    byte[] payload = signed.payload();
    Stream<Arguments> flips =
        IntStream.of(positions(payload.length))
            .mapToObj(
                pos -> {
                  byte[] p = payload.clone();
                  p[pos] ^= 0x01;
                  return Arguments.of(
                      "payload byte " + pos + " flipped", withPayload(signed, p), "gate", GATE_TYPE);
                });
    Statement other =
        Statement.of("other.bin", Digest.of(utf8("other")), GATE_TYPE, Json.object());
    Envelope otherSigned = other.sign(gate);
    Stream<Arguments> fixed =
        Stream.of(
            Arguments.of("wrong signer name", signed, "trainer", GATE_TYPE),
            Arguments.of("signer name of another case", signed, "GATE", GATE_TYPE),
            Arguments.of("wrong predicate type", signed, "gate", Provenance.PREDICATE_TYPE),
            Arguments.of(
                "predicate type with a trailing slash", signed, "gate", GATE_TYPE + "/"),
            Arguments.of(
                "wrong payloadType",
                new Envelope("application/json", signed.payload(), signed.signatures()),
                "gate",
                GATE_TYPE),
            Arguments.of(
                "signed as another payloadType, relabelled in-toto",
                new Envelope(
                    Envelope.IN_TOTO,
                    signed.payload(),
                    Envelope.sign("application/json", signed.payload(), gate).signatures()),
                "gate",
                GATE_TYPE),
            Arguments.of(
                "no signatures",
                new Envelope(Envelope.IN_TOTO, signed.payload(), List.of()),
                "gate",
                GATE_TYPE),
            Arguments.of(
                "signed by trainer", statement.sign(keyring.signer("trainer")), "gate", GATE_TYPE),
            Arguments.of(
                "signed by another deployment's gate",
                statement.sign(foreign.signer("gate")),
                "gate",
                GATE_TYPE),
            Arguments.of(
                "another statement's signature",
                new Envelope(Envelope.IN_TOTO, signed.payload(), otherSigned.signatures()),
                "gate",
                GATE_TYPE),
            Arguments.of(
                "payload truncated",
                withPayload(signed, java.util.Arrays.copyOf(payload, payload.length - 1)),
                "gate",
                GATE_TYPE),
            Arguments.of(
                "signed payload is not a statement",
                Envelope.sign(Envelope.IN_TOTO, utf8("{}"), gate),
                "gate",
                GATE_TYPE),
            Arguments.of(
                "signed payload is not JSON",
                Envelope.sign(Envelope.IN_TOTO, utf8("hello"), gate),
                "gate",
                GATE_TYPE),
            Arguments.of(
                "signed payload has another _type",
                Envelope.sign(
                    Envelope.IN_TOTO,
                    new String(statement.toJson(), StandardCharsets.UTF_8)
                        .replace("Statement/v1", "Statement/v0.1")
                        .getBytes(StandardCharsets.UTF_8),
                    gate),
                "gate",
                GATE_TYPE));
    return Stream.concat(fixed, flips);
  }

  private static int[] positions(int bound) {
    Random r = new Random(SEED);
    return IntStream.concat(IntStream.of(0, bound - 1), IntStream.generate(() -> r.nextInt(bound)))
        .distinct()
        .limit(10)
        .sorted()
        .toArray();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("forgeries")
  void verifyRejects(String what, Envelope e, String signer, String predicateType) {
    assertThatThrownBy(() -> Statement.verify(e, trust, signer, predicateType, "decision"))
        .isInstanceOf(VerificationException.class);
  }

  // ---- statement JSON ----

  @Test
  void toJsonIsAnInTotoStatement() throws Exception {
    Map<String, Digest> subjects = new LinkedHashMap<>();
    subjects.put("b.bin", Digest.of(utf8("b")));
    subjects.put("a.bin", Digest.of(utf8("a")));
    Statement s = new Statement(subjects, GATE_TYPE, Json.object().put("x", "y"));

    JsonNode json = Json.parse(s.toJson(), "statement");

    assertThat(json.path("_type").asText()).isEqualTo(Statement.TYPE);
    assertThat(json.path("predicateType").asText()).isEqualTo(GATE_TYPE);
    assertThat(json.path("subject").get(0).path("name").asText()).isEqualTo("b.bin");
    assertThat(json.path("subject").get(0).path("digest").path("sha256").asText())
        .isEqualTo(Digest.of(utf8("b")).hex());
    assertThat(s.toJson()).isEqualTo(Json.canonical(json));
    Statement back = Statement.parse(s.toJson(), "statement");
    assertThat(back).isEqualTo(s);
    assertThat(back.subjects().keySet()).containsExactly("b.bin", "a.bin");
    assertThat(back.subjectDigests()).containsExactly(Digest.of(utf8("b")), Digest.of(utf8("a")));
    assertThatThrownBy(back::onlySubject).isInstanceOf(VerificationException.class);
  }

  static Stream<Arguments> notStatements() {
    String hex = Digest.of(utf8("x")).hex();
    String subject = "[{\"name\":\"x\",\"digest\":{\"sha256\":\"" + hex + "\"}}]";
    String type = "\"_type\":\"" + Statement.TYPE + "\"";
    return Stream.of(
        Arguments.of("not JSON", "nope"),
        Arguments.of("array", "[]"),
        Arguments.of("no _type", "{\"subject\":" + subject + ",\"predicateType\":\"p\",\"predicate\":{}}"),
        Arguments.of("old _type", "{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"subject\":" + subject + ",\"predicateType\":\"p\",\"predicate\":{}}"),
        Arguments.of("no subject", "{" + type + ",\"predicateType\":\"p\",\"predicate\":{}}"),
        Arguments.of("empty subject", "{" + type + ",\"subject\":[],\"predicateType\":\"p\",\"predicate\":{}}"),
        Arguments.of("subject without name", "{" + type + ",\"subject\":[{\"digest\":{\"sha256\":\"" + hex + "\"}}],\"predicateType\":\"p\",\"predicate\":{}}"),
        Arguments.of("subject without sha256", "{" + type + ",\"subject\":[{\"name\":\"x\",\"digest\":{\"sha512\":\"" + hex + "\"}}],\"predicateType\":\"p\",\"predicate\":{}}"),
        Arguments.of("subject digest uppercase", "{" + type + ",\"subject\":[{\"name\":\"x\",\"digest\":{\"sha256\":\"" + hex.toUpperCase(java.util.Locale.ROOT) + "\"}}],\"predicateType\":\"p\",\"predicate\":{}}"),
        Arguments.of("no predicateType", "{" + type + ",\"subject\":" + subject + ",\"predicate\":{}}"),
        Arguments.of("predicate not an object", "{" + type + ",\"subject\":" + subject + ",\"predicateType\":\"p\",\"predicate\":[]}"),
        Arguments.of("no predicate", "{" + type + ",\"subject\":" + subject + ",\"predicateType\":\"p\"}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notStatements")
  void parseRejects(String what, String doc) {
    assertThatThrownBy(() -> Statement.parse(utf8(doc), "st.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("st.json");
  }

  @Test
  void aStatementNeedsASubject() {
    assertThatThrownBy(() -> new Statement(Map.of(), GATE_TYPE, Json.object()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
