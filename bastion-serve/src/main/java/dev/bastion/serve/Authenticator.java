package dev.bastion.serve;

import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.BearerTokens;
import dev.bastion.crypto.Identity;
import dev.bastion.crypto.Keyring;
import dev.bastion.crypto.Revocations;
import dev.bastion.crypto.Trust;
import java.io.IOException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;

/**
 * Who a gateway request comes from: a client certificate issued by the deployment's CA, valid now
 * and not revoked; or, without one, a bearer token signed by the gateway for an identity whose
 * current certificate passes the same checks. Every failure is a 401 that names no detail an
 * attacker could use beyond what failed.
 */
final class Authenticator {
  private final Trust trust;
  private final Revocations revocations;
  private final Keyring keyring;
  private final PublicKey tokenKey;
  /** Certificates whose CA signature was verified, and their identities (a bounded set). */
  private final Map<X509Certificate, Identity> verified = new ConcurrentHashMap<>();

  Authenticator(Trust trust, Revocations revocations, Keyring keyring, PublicKey tokenKey) {
    this.trust = trust;
    this.revocations = revocations;
    this.keyring = keyring;
    this.tokenKey = tokenKey;
  }

  /**
   * The identity behind {@code request}: its client certificate's, or else its bearer token's.
   * A request that carries both, or more than one Authorization header, is refused: which of two
   * identities it speaks for is not for the gateway to guess.
   *
   * @throws ApiError 401 if neither holds, or if both are given; 400 for a repeated header
   */
  Identity authenticate(Request request) throws ApiError {
    int authorizations = request.getHeaders().getFields(HttpHeader.AUTHORIZATION).size();
    if (authorizations > 1) {
      throw new ApiError(400, "bad_request", "more than one Authorization header");
    }
    Object attr = request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
    X509Certificate[] chain =
        attr instanceof EndPoint.SslSessionData data ? data.peerCertificates() : null;
    if (chain == null || chain.length == 0) {
      return bearer(request);
    }
    if (authorizations > 0) {
      throw new ApiError(401, "unauthenticated", "a client certificate and an Authorization"
          + " header together: send one of them");
    }
    return checked(chain[0], "client certificate");
  }

  /**
   * What credential {@code request} presented, for the ledger entry of its refusal: the digest
   * of its client certificate or of its bearer token (which {@code token-issue} entries name),
   * never the credential itself; null if it presented none.
   */
  static String credential(Request request) {
    Object attr = request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
    X509Certificate[] chain =
        attr instanceof EndPoint.SslSessionData data ? data.peerCertificates() : null;
    if (chain != null && chain.length > 0) {
      try {
        return "certificate " + Digest.of(chain[0].getEncoded());
      } catch (java.security.cert.CertificateEncodingException e) {
        return "certificate (cannot be encoded)";
      }
    }
    String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (auth == null) {
      return null;
    }
    if (auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return "token " + Digest.of(auth.substring(7).strip().getBytes(
          java.nio.charset.StandardCharsets.UTF_8));
    }
    // Another scheme (Basic, say) is named, not hashed: the hash of a user and password could
    // be reversed by trying passwords.
    String scheme = auth.strip().split("\\s", 2)[0];
    return "authorization scheme " + (scheme.matches("[A-Za-z0-9._-]{1,20}") ? scheme : "?");
  }

  /** The identity a bearer token names, if the token and that identity hold. */
  private Identity bearer(Request request) throws ApiError {
    String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (auth == null) {
      throw new ApiError(401, "unauthenticated",
          "a client certificate or a bearer token is required");
    }
    if (!auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new ApiError(401, "unauthenticated", "only Bearer authorization is accepted");
    }
    BearerTokens.Claims claims;
    try {
      claims = BearerTokens.verify(auth.substring(7).strip(), tokenKey,
          BearerTokens.GATEWAY_AUDIENCE, Instant.now());
    } catch (VerificationException e) {
      throw new ApiError(401, "unauthenticated", "bearer token refused: " + e.getMessage());
    }
    X509Certificate cert;
    try {
      cert = keyring.currentCertificate(claims.subject()).orElseThrow(() ->
          new ApiError(401, "unauthenticated", "bearer token for an unknown identity"));
    } catch (BastionException | IOException e) {
      throw new ApiError(401, "unauthenticated", "bearer token identity cannot be checked");
    }
    // Issued for the identity's current certificate: revoking an identity and issuing it anew
    // does not bring its earlier tokens back.
    try {
      if (!Digest.of(cert.getEncoded()).equals(claims.certificate())) {
        throw new ApiError(401, "unauthenticated",
            "bearer token was issued for an earlier certificate of its identity");
      }
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new ApiError(401, "unauthenticated", "bearer token identity cannot be checked");
    }
    // The token's holder is checked as a certificate would be: issued, valid, not revoked.
    Identity id = checked(cert, "bearer token's identity");
    if (!id.role().equals(claims.role())) {
      throw new ApiError(401, "unauthenticated", "bearer token role is not the identity's");
    }
    return id;
  }

  /**
   * {@code cert}'s identity, if our CA issued it, it is valid now and not revoked. The CA's
   * signature on a certificate is verified once and remembered (a bounded set); its validity
   * period and its revocation status are checked on every request.
   */
  private Identity checked(X509Certificate cert, String what) throws ApiError {
    X509Certificate[] chain = {cert};
    Identity known = verified.get(cert);
    try {
      if (known == null) {
        trust.checkIssued(chain[0]);
        known = Identity.of(cert);
        if (verified.size() >= 10_000) {
          verified.clear();
        }
        verified.put(cert, known);
      } else {
        cert.checkValidity();
      }
    } catch (VerificationException | java.security.cert.CertificateException e) {
      throw new ApiError(401, "unauthenticated", what + " is not valid");
    }
    // Re-read when keys/ca.crl changes: a revocation holds from the next request on, also on
    // connections opened before it. A CRL that cannot be trusted refuses everyone.
    switch (revocations.status(chain[0])) {
      case GOOD -> { }
      case REVOKED ->
          throw new ApiError(401, "unauthenticated", what + " is revoked");
      case UNKNOWN ->
          throw new ApiError(401, "unauthenticated", "revocation status cannot be checked");
    }
    return known;
  }
}
