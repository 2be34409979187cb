package dev.bastion.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BearerTokensTest {
  /** The SHA-256 of the certificate a token is bound to (any digest, for these tests). */
  static final dev.bastion.core.Digest CERT =
      dev.bastion.core.Digest.of("alice's certificate".getBytes(StandardCharsets.UTF_8));

  @TempDir static Path tmp;
  static Signer gateway;
  static PublicKey key;
  static Signer other;

  @BeforeAll
  static void keys() throws Exception {
    Keyring k = Keyring.initialise(tmp.resolve("keys"));
    gateway = k.signer("gateway");
    key = gateway.identity().certificate().getPublicKey();
    other = Keyring.initialise(tmp.resolve("other")).signer("gateway");
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A token with any header and payload, signed ES256 by {@code by}. */
  static String forge(Signer by, String header, String payload) throws Exception {
    String input = b64(header) + "." + b64(payload);
    Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
    s.initSign(by.privateKey());
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign());
  }

  @Test
  void aTokenVerifiesForItsAudienceUntilItExpires() throws Exception {
    String t = BearerTokens.issue(gateway, "alice", CERT, "predict", "bastion-gateway",
        Duration.ofMinutes(15));
    BearerTokens.Claims c = BearerTokens.verify(t, key, "bastion-gateway", Instant.now());
    assertThat(c.subject()).isEqualTo("alice");
    assertThat(c.role()).isEqualTo("predict");
    assertThat(Duration.between(c.issuedAt(), c.expires())).isEqualTo(Duration.ofMinutes(15));
    assertThat(c.id()).hasSize(32);
    assertThat(c.certificate()).isEqualTo(CERT);
    assertThatThrownBy(() -> BearerTokens.verify(t, key, "other-service", Instant.now()))
        .isInstanceOf(VerificationException.class).hasMessageContaining("audience");
    assertThatThrownBy(() -> BearerTokens.verify(t, key, "bastion-gateway",
        c.expires().plus(Duration.ofMinutes(1))))
        .isInstanceOf(VerificationException.class).hasMessageContaining("expired");
    assertThatThrownBy(() -> BearerTokens.verify(t,
        other.identity().certificate().getPublicKey(), "bastion-gateway", Instant.now()))
        .isInstanceOf(VerificationException.class).hasMessageContaining("signature");
  }

  @Test
  void lifetimesOverFifteenMinutesAreNeverIssued() {
    assertThatThrownBy(() -> BearerTokens.issue(gateway, "alice", CERT, "predict",
        "bastion-gateway", Duration.ofMinutes(16))).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> BearerTokens.issue(gateway, "alice", CERT, "predict",
        "bastion-gateway", Duration.ZERO)).isInstanceOf(BadInputException.class);
    assertThatThrownBy(() -> BearerTokens.issue(gateway, "Alice Smith", CERT, "predict",
        "bastion-gateway", Duration.ofMinutes(1))).isInstanceOf(BadInputException.class);
  }

  static Stream<Arguments> refused() throws Exception {
    long now = Instant.now().getEpochSecond();
    String claims = "{\"aud\":\"bastion-gateway\",\"cert\":\"" + CERT + "\",\"exp\":"
        + (now + 600) + ",\"iat\":" + now + ",\"role\":\"predict\",\"sub\":\"alice\"}";
    String good = forge(gateway, "{\"alg\":\"ES256\",\"typ\":\"JWT\"}", claims);
    String[] p = good.split("\\.");
    return Stream.of(
        Arguments.of("alg none, no signature", b64("{\"alg\":\"none\"}") + "." + b64(claims) + ".",
            "base64url"),
        Arguments.of("alg none with a signature part",
            b64("{\"alg\":\"none\"}") + "." + b64(claims) + "." + p[2], "ES256"),
        Arguments.of("alg HS256", forge(gateway, "{\"alg\":\"HS256\"}", claims), "ES256"),
        Arguments.of("critical header", forge(gateway, "{\"alg\":\"ES256\",\"crit\":[\"x\"]}",
            claims), "critical"),
        Arguments.of("payload swapped", p[0] + "." + b64(claims.replace("alice", "admin1")) + "."
            + p[2], "signature"),
        Arguments.of("two parts", p[0] + "." + p[1], "three parts"),
        Arguments.of("padding", p[0] + "." + p[1] + "=." + p[2], "base64url"),
        Arguments.of("lifetime of a day", forge(gateway, "{\"alg\":\"ES256\"}",
            "{\"aud\":\"bastion-gateway\",\"exp\":" + (now + 86400) + ",\"iat\":" + now
                + ",\"role\":\"predict\",\"sub\":\"alice\"}"), "lifetime"),
        Arguments.of("issued in the future", forge(gateway, "{\"alg\":\"ES256\"}",
            "{\"aud\":\"bastion-gateway\",\"exp\":" + (now + 1200) + ",\"iat\":" + (now + 600)
                + ",\"role\":\"predict\",\"sub\":\"alice\"}"), "future"),
        Arguments.of("no expiry", forge(gateway, "{\"alg\":\"ES256\"}",
            "{\"aud\":\"bastion-gateway\",\"iat\":" + now
                + ",\"role\":\"predict\",\"sub\":\"alice\"}"), "'exp'"),
        Arguments.of("audience as a list", forge(gateway, "{\"alg\":\"ES256\"}",
            "{\"aud\":[\"bastion-gateway\"],\"exp\":" + (now + 60) + ",\"iat\":" + now
                + ",\"role\":\"predict\",\"sub\":\"alice\"}"), "'aud'"),
        Arguments.of("subject not a name", forge(gateway, "{\"alg\":\"ES256\"}",
            claims.replace("\"alice\"", "\"../etc/passwd\"")), "plain name"),
        Arguments.of("not JSON", forge(gateway, "{\"alg\":\"ES256\"}", "[1,2]"), "object"),
        Arguments.of("signed by another deployment", forge(other, "{\"alg\":\"ES256\"}", claims),
            "signature"),
        Arguments.of("no certificate binding", forge(gateway, "{\"alg\":\"ES256\"}",
            claims.replace(",\"cert\":\"" + CERT + "\"", "")), "'cert'"),
        Arguments.of("a certificate binding that is no digest", forge(gateway,
            "{\"alg\":\"ES256\"}", claims.replace(CERT.toString(), "sha256:00")),
            "certificate digest"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void malformedOrForgedTokensAreRefused(String what, String token, String message) {
    assertThatThrownBy(() -> BearerTokens.verify(token, key, "bastion-gateway", Instant.now()))
        .as(what)
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(message);
  }
}
