package dev.bastion.serve;

import dev.bastion.core.BastionException;
import dev.bastion.crypto.Keyring;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * A client of the gateway over HTTPS, trusting the deployment's CA and presenting a client
 * certificate when it has one. Used by the demo and the tests.
 */
public final class GatewayClient {
  /**
   * An answer.
   *
   * @param status the HTTP status
   * @param body the body as text
   * @param retryAfter the Retry-After header, or empty
   */
  public record Reply(int status, String body, String retryAfter) {
    static Reply of(HttpResponse<String> r) {
      return new Reply(r.statusCode(), r.body(), r.headers().firstValue("Retry-After").orElse(""));
    }
  }

  private final HttpClient http;
  private String bearer;

  private String scheme = "Bearer";

  /** Sends {@code Authorization: Bearer TOKEN} with every request from now on. */
  public GatewayClient withBearer(String token) {
    this.bearer = token;
    return this;
  }

  /** Uses another authorization scheme than Bearer (for tests of refusals). */
  public GatewayClient withScheme(String s) {
    this.scheme = s;
    return this;
  }

  private HttpRequest.Builder request(int port, String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("https://localhost:" + port + path))
            .timeout(Duration.ofSeconds(10));
    if (bearer != null) {
      b.header("Authorization", scheme + " " + bearer);
    }
    return b;
  }

  private GatewayClient(SSLContext ctx) {
    SSLParameters params = new SSLParameters();
    params.setProtocols(new String[] {"TLSv1.3"});
    this.http =
        HttpClient.newBuilder()
            .sslContext(ctx)
            .sslParameters(params)
            .connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
  }

  /** A client that presents {@code identity}'s certificate. */
  public static GatewayClient as(Keyring keyring, String identity)
      throws BastionException, IOException {
    char[] pw = "client".toCharArray();
    return new GatewayClient(context(keyring.keyStore(identity, pw), pw, keyring.trustStore()));
  }

  /** A client with no certificate of its own. */
  public static GatewayClient anonymous(Keyring keyring) {
    return new GatewayClient(context(null, null, keyring.trustStore()));
  }

  /** A client presenting a certificate from some other trust store's key store. */
  public static GatewayClient with(KeyStore keys, char[] password, KeyStore trust) {
    return new GatewayClient(context(keys, password, trust));
  }

  private static SSLContext context(KeyStore keys, char[] pw, KeyStore trust) {
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, pw);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLSv1.3");
      ctx.init(keys == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK supports TLS 1.3 with PKCS#12 stores", e);
    }
  }

  /** POSTs JSON to {@code https://localhost:PORT/PATH}. */
  public Reply post(int port, String path, String json) throws IOException, InterruptedException {
    HttpRequest req =
        request(port, path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8))
            .build();
    return Reply.of(http.send(req, HttpResponse.BodyHandlers.ofString()));
  }

  /** GETs {@code https://localhost:PORT/PATH}. */
  public Reply get(int port, String path) throws IOException, InterruptedException {
    HttpRequest req =
        request(port, path)
            .GET()
            .build();
    return Reply.of(http.send(req, HttpResponse.BodyHandlers.ofString()));
  }
}
