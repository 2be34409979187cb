package dev.bastion.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Keyring;
import dev.bastion.crypto.Signer;
import dev.bastion.crypto.Trust;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EnvelopeTest {
  private static final long SEED = 0xD55EL;

  @TempDir static Path tmp;
  private static Keyring keyring;
  private static Trust trust;
  private static Signer gate;

  @BeforeAll
  static void initialise() throws Exception {
    keyring = Keyring.initialise(tmp.resolve("keys"));
    trust = keyring.trust();
    gate = keyring.signer("gate");
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // ---- PAE ----

  @Test
  void paeMatchesTheDsseSpecificationExample() {
    // github.com/secure-systems-lab/dsse, protocol.md, "Test vectors".
    assertThat(Envelope.pae("http://example.com/HelloWorld", utf8("hello world")))
        .isEqualTo(utf8("DSSEv1 29 http://example.com/HelloWorld 11 hello world"));
  }

  @Test
  void paeCountsBytesNotCharacters() {
    byte[] payload = utf8("\u00e9\uD83D\uDE00"); // 2 + 4 bytes

    assertThat(Envelope.pae("t\u00e9", payload)).isEqualTo(utf8("DSSEv1 3 t\u00e9 6 \u00e9\uD83D\uDE00"));
  }

  @Test
  void paeOfEmptyValues() {
    assertThat(Envelope.pae("", new byte[0])).isEqualTo(utf8("DSSEv1 0  0 "));
  }

  @Test
  void paeKeepsBinaryPayloadBytes() {
    byte[] payload = {0, (byte) 0xff, '\n', ' '};
    byte[] pae = Envelope.pae("x", payload);

    assertThat(pae).startsWith(utf8("DSSEv1 1 x 4 ")).endsWith(payload).hasSize(13 + 4);
  }

  @Test
  void paeSeparatesTypeAndPayloadUnambiguously() {
    // Moving bytes between type and payload must change the encoding.
    assertThat(Envelope.pae("a b", utf8("c"))).isNotEqualTo(Envelope.pae("a", utf8("b c")));
  }

  // ---- JSON form ----

  static Stream<Arguments> envelopes() throws Exception {
    Random r = new Random(SEED);
    Signer trainer = keyring.signer("trainer");
    return IntStream.range(0, 12)
        .mapToObj(
            i -> {
              byte[] payload = new byte[i == 0 ? 0 : r.nextInt(2000)];
              r.nextBytes(payload);
              String type = i % 2 == 0 ? Envelope.IN_TOTO : "application/octet-stream;v=" + i;
              Envelope one = Envelope.sign(type, payload, gate);
              if (i % 3 != 0) {
                return Arguments.of(i, one);
              }
              List<Envelope.Sig> sigs = new ArrayList<>(one.signatures());
              sigs.add(Envelope.sign(type, payload, trainer).signatures().get(0));
              return Arguments.of(i, new Envelope(type, payload, sigs));
            });
  }

  @ParameterizedTest(name = "envelope {0}")
  @MethodSource("envelopes")
  void parseOfToJsonIsTheIdentity(int caseNo, Envelope e) throws Exception {
    byte[] json = e.toJson();

    Envelope back = Envelope.parse(json, "envelope " + caseNo);

    assertThat(back).isEqualTo(e);
    assertThat(back.payloadType()).isEqualTo(e.payloadType());
    assertThat(back.payload()).isEqualTo(e.payload());
    assertThat(back.signatures()).hasSameSizeAs(e.signatures());
    for (int i = 0; i < e.signatures().size(); i++) {
      assertThat(back.signatures().get(i).keyId()).isEqualTo(e.signatures().get(i).keyId());
      assertThat(back.signatures().get(i).sig()).isEqualTo(e.signatures().get(i).sig());
    }
    assertThat(back.toJson()).isEqualTo(json);
    assertThat(back.verify(trust, "gate")).isEqualTo(gate.identity());
  }

  @Test
  void toJsonHasTheDsseFieldsInCanonicalForm() throws Exception {
    Envelope e = Envelope.sign("text/plain", utf8("hi"), gate);
    var json = Json.parse(e.toJson(), "envelope");

    assertThat(json.fieldNames()).toIterable().containsExactly("payload", "payloadType", "signatures");
    assertThat(json.path("payload").asText()).isEqualTo(Base64.getEncoder().encodeToString(utf8("hi")));
    assertThat(json.path("signatures").get(0).fieldNames()).toIterable().containsExactly("keyid", "sig");
    assertThat(json.path("signatures").get(0).path("keyid").asText()).isEqualTo(gate.identity().keyId());
    assertThat(e.toJson()).isEqualTo(Json.canonical(json));
  }

  @Test
  void parseReadsADsseDocumentWithoutKeyId() throws Exception {
    Envelope signed = Envelope.sign("text/plain", utf8("hi"), gate);
    String doc =
        "{\"payloadType\":\"text/plain\",\"payload\":\"aGk=\",\"signatures\":[{\"sig\":\""
            + Base64.getEncoder().encodeToString(signed.signatures().get(0).sig()) + "\"}]}";

    Envelope e = Envelope.parse(utf8(doc), "doc");

    assertThat(e.signatures()).singleElement().satisfies(s -> assertThat(s.keyId()).isEmpty());
    assertThatThrownBy(() -> e.verify(trust, "gate")).isInstanceOf(VerificationException.class);
  }

  static Stream<Arguments> malformed() {
    String sig = "{\"keyid\":\"k\",\"sig\":\"AAAA\"}";
    String ok = "\"payloadType\":\"t\",\"payload\":\"aGk=\"";
    return Stream.of(
        Arguments.of("empty document", ""),
        Arguments.of("not JSON", "this is not json"),
        Arguments.of("JSON array", "[" + sig + "]"),
        Arguments.of("JSON string", "\"envelope\""),
        Arguments.of("JSON null", "null"),
        Arguments.of("empty object", "{}"),
        Arguments.of("payloadType missing", "{\"payload\":\"aGk=\",\"signatures\":[" + sig + "]}"),
        Arguments.of("payloadType a number", "{\"payloadType\":1,\"payload\":\"aGk=\",\"signatures\":[" + sig + "]}"),
        Arguments.of("payloadType null", "{\"payloadType\":null,\"payload\":\"aGk=\",\"signatures\":[" + sig + "]}"),
        Arguments.of("payload missing", "{\"payloadType\":\"t\",\"signatures\":[" + sig + "]}"),
        Arguments.of("payload an array", "{\"payloadType\":\"t\",\"payload\":[1],\"signatures\":[" + sig + "]}"),
        Arguments.of("payload not base64", "{\"payloadType\":\"t\",\"payload\":\"a*b\",\"signatures\":[" + sig + "]}"),
        Arguments.of("payload base64url", "{\"payloadType\":\"t\",\"payload\":\"-_-_\",\"signatures\":[" + sig + "]}"),
        Arguments.of("payload with a line break", "{\"payloadType\":\"t\",\"payload\":\"aGk=\\naGk=\",\"signatures\":[" + sig + "]}"),
        Arguments.of("signatures missing", "{" + ok + "}"),
        Arguments.of("signatures null", "{" + ok + ",\"signatures\":null}"),
        Arguments.of("signatures an object", "{" + ok + ",\"signatures\":" + sig + "}"),
        Arguments.of("signatures a string", "{" + ok + ",\"signatures\":\"AAAA\"}"),
        Arguments.of("signatures empty", "{" + ok + ",\"signatures\":[]}"),
        Arguments.of(
            "too many signatures",
            "{" + ok + ",\"signatures\":[" + String.join(",", java.util.Collections.nCopies(Envelope.MAX_SIGNATURES + 1, sig)) + "]}"),
        Arguments.of("signature without sig", "{" + ok + ",\"signatures\":[{\"keyid\":\"k\"}]}"),
        Arguments.of("sig a number", "{" + ok + ",\"signatures\":[{\"keyid\":\"k\",\"sig\":5}]}"),
        Arguments.of("sig not base64", "{" + ok + ",\"signatures\":[{\"keyid\":\"k\",\"sig\":\"!!\"}]}"),
        Arguments.of("signature a number", "{" + ok + ",\"signatures\":[1]}"),
        Arguments.of("signature null", "{" + ok + ",\"signatures\":[null]}"),
        Arguments.of("duplicate payload", "{" + ok + ",\"payload\":\"AAAA\",\"signatures\":[" + sig + "]}"),
        Arguments.of("trailing garbage", "{" + ok + ",\"signatures\":[" + sig + "]} x"),
        Arguments.of("two documents", "{" + ok + ",\"signatures\":[" + sig + "]}{}"),
        Arguments.of("nested too deep", "{" + ok + ",\"signatures\":[" + sig + "],\"x\":" + "[".repeat(100) + "]".repeat(100) + "}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void parseRejectsMalformedDocuments(String what, String doc) {
    assertThatThrownBy(() -> Envelope.parse(utf8(doc), "env.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("env.json");
  }

  @Test
  void acceptsAtMostMaxSignatures() throws Exception {
    Envelope one = Envelope.sign("t", utf8("x"), gate);
    List<Envelope.Sig> sigs =
        java.util.Collections.nCopies(Envelope.MAX_SIGNATURES, one.signatures().get(0));
    Envelope many = new Envelope("t", utf8("x"), sigs);

    assertThat(Envelope.parse(many.toJson(), "many").signatures()).hasSize(Envelope.MAX_SIGNATURES);
  }

  // ---- verify ----

  @Test
  void verifyNeedsASignature() {
    Envelope none = new Envelope("t", utf8("x"), List.of());

    assertThatThrownBy(() -> none.verify(trust, "gate"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("no signature");
  }

  @Test
  void verifyFindsTheExpectedSignerAmongSeveral(@TempDir Path other) throws Exception {
    byte[] payload = utf8("x");
    Signer foreign = Keyring.initialise(other).signer("gate");
    Envelope e =
        new Envelope(
            "t",
            payload,
            List.of(
                Envelope.sign("t", payload, foreign).signatures().get(0),
                Envelope.sign("t", payload, keyring.signer("trainer")).signatures().get(0),
                Envelope.sign("t", payload, gate).signatures().get(0)));

    assertThat(e.verify(trust, "gate")).isEqualTo(gate.identity());
    assertThat(e.verify(trust, "trainer").name()).isEqualTo("trainer");
    assertThatThrownBy(() -> e.verify(trust, "registry")).isInstanceOf(VerificationException.class);
  }

  @Test
  void signatureCoversThePayloadType() {
    Envelope e = Envelope.sign("text/plain", utf8("x"), gate);
    Envelope relabelled = new Envelope("text/html", e.payload(), e.signatures());

    assertThatThrownBy(() -> relabelled.verify(trust, "gate"))
        .isInstanceOf(VerificationException.class);
  }

  @Test
  void valuesAreNotSharedWithCallers() {
    byte[] payload = utf8("abc");
    Envelope e = Envelope.sign("t", payload, gate);
    payload[0] = 'X';
    e.payload()[1] = 'X';
    e.signatures().get(0).sig()[0] ^= 1;

    assertThat(e.payload()).isEqualTo(utf8("abc"));
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> e.verify(trust, "gate")))
        .isNull();
  }
}
