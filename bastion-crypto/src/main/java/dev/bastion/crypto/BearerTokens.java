package dev.bastion.crypto;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Signed bearer tokens for clients that cannot do mutual TLS: compact JWS (RFC 7515) JSON Web
 * Tokens (RFC 7519) signed with ES256 (ECDSA P-256, SHA-256, the signature as R || S) by the
 * gateway's key, with an audience and a lifetime of at most {@link #MAX_LIFETIME}.
 *
 * <p>Verification is strict and fails closed: exactly three base64url parts without padding, a
 * header of {@code {"alg":"ES256","typ":"JWT"}} and nothing else that matters ({@code none} and
 * every other algorithm refused), the signature over the exact bytes received, the audience
 * equal to the verifier's, not yet expired, issued at most {@link #MAX_LIFETIME} before it
 * expires, and a subject and role that are plain names.
 */
public final class BearerTokens {
  /** The longest a token may live. */
  public static final Duration MAX_LIFETIME = Duration.ofMinutes(15);

  /** The audience of tokens for the inference gateway. */
  public static final String GATEWAY_AUDIENCE = "bastion-gateway";

  /** Tolerated difference between the issuer's clock and the verifier's. */
  static final Duration CLOCK_SKEW = Duration.ofSeconds(30);

  /** Longest token accepted, in characters. */
  public static final int MAX_CHARS = 4096;

  private static final String HEADER = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";
  private static final String JWS_ALGORITHM = "SHA256withECDSAinP1363Format";
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * What a token says.
   *
   * @param subject the identity it was issued to
   * @param role its role
   * @param audience who it is for
   * @param issuedAt when it was issued
   * @param expires when it stops being valid
   * @param id a random token id ({@code jti}), for the ledger
   * @param certificate the SHA-256 of the subject's certificate when the token was issued ({@code
   *     cert}): the token holds only while that certificate is the identity's, so revoking an
   *     identity and issuing it again does not bring its old tokens back
   */
  public record Claims(String subject, String role, String audience, Instant issuedAt,
      Instant expires, String id, Digest certificate) {
    public Claims {
      Objects.requireNonNull(certificate);
      Objects.requireNonNull(subject);
      Objects.requireNonNull(role);
      Objects.requireNonNull(audience);
      Objects.requireNonNull(issuedAt);
      Objects.requireNonNull(expires);
      Objects.requireNonNull(id);
    }
  }

  private BearerTokens() {}

  /**
   * A token for {@code subject}, whose certificate is {@code certificate} (its SHA-256), with
   * {@code role}, valid for {@code lifetime} from now.
   *
   * @throws BadInputException if the lifetime is not positive or longer than {@link
   *     #MAX_LIFETIME}, or a name is not a plain name
   */
  public static String issue(Signer signer, String subject, Digest certificate, String role,
      String audience, Duration lifetime) throws BadInputException {
    return issue(signer, subject, certificate, role, audience, lifetime, Instant.now());
  }

  /**
   * As {@link #issue(Signer, String, Digest, String, String, Duration)}, valid for {@code
   * lifetime} from {@code issuedAt}.
   *
   * @throws BadInputException if the lifetime is not positive or longer than {@link
   *     #MAX_LIFETIME}, or a name is not a plain name
   */
  public static String issue(Signer signer, String subject, Digest certificate, String role,
      String audience, Duration lifetime, Instant issuedAt) throws BadInputException {
    check(subject, role, audience, lifetime);
    Instant now = issuedAt;
    byte[] jti = new byte[16];
    RANDOM.nextBytes(jti);
    ObjectNode c = Json.object();
    c.put("iss", "bastion");
    c.put("sub", subject);
    c.put("cert", certificate.toString());
    c.put("aud", audience);
    c.put("role", role);
    c.put("iat", now.getEpochSecond());
    c.put("exp", now.plus(lifetime).getEpochSecond());
    c.put("jti", HexFormat.of().formatHex(jti));
    String signingInput = b64(HEADER.getBytes(StandardCharsets.UTF_8)) + "." + b64(Json.canonical(c));
    try {
      Signature s = Signature.getInstance(JWS_ALGORITHM);
      s.initSign(signer.privateKey());
      s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + b64(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ECDSA P-256 signing is always available", e);
    }
  }

  /**
   * Checks what a token would say before anything is done to issue it.
   *
   * @throws BadInputException if the lifetime is not positive or longer than {@link
   *     #MAX_LIFETIME}, or a name is not a plain name
   */
  public static void check(String subject, String role, String audience, Duration lifetime)
      throws BadInputException {
    if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
      throw new BadInputException("a token lives more than 0 and at most "
          + MAX_LIFETIME.toMinutes() + " minutes, not " + lifetime.toSeconds() + " s");
    }
    for (String[] n : new String[][] {{"identity", subject}, {"role", role},
        {"audience", audience}}) {
      if (!plain(n[1])) {
        throw new BadInputException(n[0] + " '" + n[1]
            + "' is not a plain name (a-z, 0-9, . _ -)");
      }
    }
  }

  /**
   * Verifies {@code token} against {@code key} for {@code audience} at {@code now}.
   *
   * @throws VerificationException saying what does not hold
   */
  public static Claims verify(String token, PublicKey key, String audience, Instant now)
      throws VerificationException {
    if (token.length() > MAX_CHARS) {
      throw new VerificationException("token longer than " + MAX_CHARS + " characters");
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      throw new VerificationException("not a signed JWT (three parts)");
    }
    byte[] header = unb64(parts[0], "header");
    byte[] payload = unb64(parts[1], "payload");
    byte[] sig = unb64(parts[2], "signature");
    JsonNode h = json(header, "header");
    if (!"ES256".equals(h.path("alg").asText(null)) || !h.path("alg").isTextual()) {
      throw new VerificationException("token algorithm is not ES256");
    }
    if (h.has("typ") && !"JWT".equals(h.path("typ").asText())) {
      throw new VerificationException("token type is not JWT");
    }
    if (h.has("crit")) {
      throw new VerificationException("token has critical header parameters");
    }
    try {
      Signature s = Signature.getInstance(JWS_ALGORITHM);
      s.initVerify(key);
      s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      if (sig.length != 64 || !s.verify(sig)) {
        throw new VerificationException("token signature does not verify");
      }
    } catch (GeneralSecurityException e) {
      throw new VerificationException("token signature does not verify", e);
    }
    JsonNode c = json(payload, "payload");
    String sub = text(c, "sub");
    String role = text(c, "role");
    String aud = text(c, "aud");
    String jti = c.path("jti").asText("");
    if (!plain(sub) || !plain(role)) {
      throw new VerificationException("token subject or role is not a plain name");
    }
    if (!aud.equals(audience)) {
      throw new VerificationException("token is for audience '" + aud + "', not '" + audience
          + "'");
    }
    Instant iat = Instant.ofEpochSecond(seconds(c, "iat"));
    Instant exp = Instant.ofEpochSecond(seconds(c, "exp"));
    if (!now.isBefore(exp.plus(CLOCK_SKEW))) {
      throw new VerificationException("token expired at " + exp);
    }
    if (iat.isAfter(now.plus(CLOCK_SKEW))) {
      throw new VerificationException("token issued in the future (" + iat + ")");
    }
    if (Duration.between(iat, exp).compareTo(MAX_LIFETIME) > 0 || exp.isBefore(iat)) {
      throw new VerificationException("token lifetime is over " + MAX_LIFETIME.toMinutes()
          + " minutes");
    }
    if (c.has("nbf") && Instant.ofEpochSecond(seconds(c, "nbf")).isAfter(now.plus(CLOCK_SKEW))) {
      throw new VerificationException("token not valid yet");
    }
    Digest cert;
    try {
      cert = Digest.parse(text(c, "cert"));
    } catch (IllegalArgumentException e) {
      throw new VerificationException("token claim 'cert' is not a certificate digest", e);
    }
    return new Claims(sub, role, aud, iat, exp, jti, cert);
  }

  private static boolean plain(String s) {
    return Identity.isName(s);
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static byte[] unb64(String s, String what) throws VerificationException {
    if (s.isEmpty() || s.indexOf('=') >= 0) {
      throw new VerificationException("token " + what + " is not base64url without padding");
    }
    try {
      byte[] b = Base64.getUrlDecoder().decode(s);
      if (!b64(b).equals(s)) {
        throw new VerificationException("token " + what + " is not in canonical base64url");
      }
      return b;
    } catch (IllegalArgumentException e) {
      throw new VerificationException("token " + what + " is not base64url", e);
    }
  }

  private static JsonNode json(byte[] b, String what) throws VerificationException {
    try {
      JsonNode n = Json.parse(b, "token " + what);
      if (!n.isObject()) {
        throw new VerificationException("token " + what + " is not a JSON object");
      }
      return n;
    } catch (BadInputException e) {
      throw new VerificationException(e.getMessage(), e);
    }
  }

  private static String text(JsonNode c, String field) throws VerificationException {
    JsonNode v = c.get(field);
    if (v == null || !v.isTextual()) {
      throw new VerificationException("token claim '" + field + "' is missing or not a string");
    }
    return v.asText();
  }

  private static long seconds(JsonNode c, String field) throws VerificationException {
    JsonNode v = c.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new VerificationException("token claim '" + field + "' is missing or not a number");
    }
    long s = v.asLong();
    if (s < 0 || s > 32503680000L) { // year 3000: beyond it, Instant arithmetic is not the point
      throw new VerificationException("token claim '" + field + "' is out of range");
    }
    return s;
  }
}
