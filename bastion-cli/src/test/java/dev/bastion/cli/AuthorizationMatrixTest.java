package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.crypto.BearerTokens;
import dev.bastion.crypto.Keyring;
import dev.bastion.pipeline.Home;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.ServedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of caller that must be refused, against every endpoint: refused with 401 or 403 (or
 * in the TLS handshake), and the model never called.
 */
class AuthorizationMatrixTest {
  @TempDir static Path tmp;
  static Home home;
  static Home other;
  static Gateway gateway;
  static final Map<String, GatewayClient> CALLERS = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    home = Home.init(tmp.resolve("home"));
    Examples.run(home, Examples.copyCredit(tmp.resolve("credit")));
    ServedModel served =
        ServedModel.load("credit-risk", home.registry(), home.chainVerifier(), home.trust(), "t");
    gateway = Gateway.start(
        Gateway.Config.defaults().withPort(0).withRate(1000, 1000).withAdminPort(0), served,
        ref -> ServedModel.load(ref, home.registry(), home.chainVerifier(), home.trust(), "t"),
        home.keyring(), home.trust(), home.ledger());
    Keyring k = home.keyring();
    other = Home.init(tmp.resolve("other"));
    char[] pw = "x".toCharArray();

    CALLERS.put("no certificate, no token", GatewayClient.anonymous(k));
    CALLERS.put("another CA's certificate", GatewayClient.with(
        other.keyring().keyStore(Keyring.DEMO_CLIENT, pw), pw, k.trustStore()));
    k.issueClient("revoked-1", "predict");
    k.revoke("revoked-1");
    CALLERS.put("revoked certificate", GatewayClient.as(k, "revoked-1"));
    k.issueClient("nobody-1", "none");
    CALLERS.put("certificate without a known role", GatewayClient.as(k, "nobody-1"));
    CALLERS.put("token of another deployment", GatewayClient.anonymous(k).withBearer(
        other.keyring().issueToken("svc-1", "admin", BearerTokens.GATEWAY_AUDIENCE,
            Duration.ofMinutes(5))));
    CALLERS.put("token for another audience", GatewayClient.anonymous(k).withBearer(
        k.issueToken("svc-2", "admin", "billing", Duration.ofMinutes(5))));
    String good = k.issueToken("svc-3", "admin", BearerTokens.GATEWAY_AUDIENCE,
        Duration.ofMinutes(5));
    String[] parts = good.split("\\.");
    CALLERS.put("token with a forged payload", GatewayClient.anonymous(k).withBearer(
        parts[0] + "." + parts[0] + "." + parts[2]));
    CALLERS.put("token of a revoked identity", GatewayClient.anonymous(k).withBearer(
        k.issueToken("svc-4", "admin", BearerTokens.GATEWAY_AUDIENCE, Duration.ofMinutes(5))));
    k.revoke("svc-4");
    CALLERS.put("token of an identity revoked, then issued again", GatewayClient.anonymous(k)
        .withBearer(k.issueToken("svc-6", "admin", BearerTokens.GATEWAY_AUDIENCE,
            Duration.ofMinutes(5))));
    k.revoke("svc-6");
    k.issueClient("svc-6", "admin");
    CALLERS.put("basic authorization", new BasicAuth(k).client());
    CALLERS.put("expired token", GatewayClient.anonymous(k).withBearer(
        k.issueToken("svc-5", "admin", BearerTokens.GATEWAY_AUDIENCE, Duration.ofMinutes(5),
            java.time.Instant.now().minus(Duration.ofHours(1)))));
    k.issueClient("expired-1", "admin", Duration.ofSeconds(1));
    CALLERS.put("expired certificate", GatewayClient.as(k, "expired-1"));
    k.issueClient("reader-1", "auditor");
    k.issueClient("app-1", "predict");
    k.issueClient("scoped-other", "predict", Duration.ofDays(1), java.util.List.of("fraud"));
    k.issueClient("scoped-admin", "admin", Duration.ofDays(1), java.util.List.of("fraud"));
    k.issueClient("scoped-credit", "predict", Duration.ofDays(1),
        java.util.List.of("fraud", "credit-risk"));
    // Two credentials at once, each good alone: which identity speaks is not guessed.
    k.issueClient("both-1", "admin");
    CALLERS.put("a certificate and another identity's token", GatewayClient.as(k, "both-1")
        .withBearer(k.issueToken("svc-7", "admin", BearerTokens.GATEWAY_AUDIENCE,
            Duration.ofMinutes(5))));
    // Let the one-second certificate expire.
    Thread.sleep(1500);
  }

  /** Callers with a good identity whose role is not the endpoint's. */
  static Stream<Arguments> wrongRoles() {
    return Stream.of(
        Arguments.of("reader-1", "POST", EndToEndTest.PREDICT, false),
        Arguments.of("reader-1", "POST", "/v1/admin/models/credit-risk:reload", true),
        Arguments.of("reader-1", "GET", "/v1/admin/models/credit-risk", true),
        Arguments.of("app-1", "GET", "/metrics", false),
        Arguments.of("app-1", "POST", "/v1/admin/models/credit-risk:rollback", true),
        Arguments.of("app-1", "GET", "/v1/admin/models/credit-risk", true),
        Arguments.of("scoped-other", "POST", EndToEndTest.PREDICT, false),
        Arguments.of("scoped-other", "GET", "/v1/models/credit-risk", false),
        Arguments.of("scoped-admin", "POST", "/v1/admin/models/credit-risk:reload", true),
        Arguments.of("scoped-admin", "GET", "/v1/admin/models/credit-risk", true));
  }

  @org.junit.jupiter.api.Test
  void aRefusalNamesTheCredentialTriedByItsDigestAndWhy() throws Exception {
    String token = home.keyring().issueToken("svc-8", "admin", "billing", Duration.ofMinutes(5));
    assertThat(GatewayClient.anonymous(home.keyring()).withBearer(token)
        .post(gateway.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
        .isEqualTo(401);
    assertThat(CALLERS.get("basic authorization")
        .post(gateway.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
        .isEqualTo(401);
    java.util.List<Map<String, String>> denied = new java.util.ArrayList<>();
    dev.bastion.ledger.LedgerVerifier.forEachEvent(home.dir().resolve("ledger"), e -> {
      if (e.kind() == dev.bastion.ledger.EventKind.ACCESS_DENIED) {
        denied.add(e.details());
      }
    });
    String digest = dev.bastion.core.Digest.of(
        token.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).toString();
    assertThat(denied).as("the refused token's entry").anySatisfy(d -> {
      assertThat(d.get("credential")).isEqualTo("token " + digest);
      assertThat(d.get("reason")).contains("audience 'billing'");
    });
    // Another scheme is named, not hashed (a password's hash could be reversed by guessing).
    assertThat(denied).anySatisfy(d ->
        assertThat(d.get("credential")).isEqualTo("authorization scheme Basic"));
    assertThat(denied).allSatisfy(d -> assertThat(String.valueOf(d.get("credential")))
        .doesNotStartWith("authorization sha256"));
  }

  @org.junit.jupiter.api.Test
  void aRoleLimitedToModelsHoldsForThem() throws Exception {
    assertThat(home.keyring().identity("scoped-credit").models())
        .containsExactly("fraud", "credit-risk");
    GatewayClient c = GatewayClient.as(home.keyring(), "scoped-credit");

    assertThat(c.post(gateway.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
        .isEqualTo(200);
    assertThat(home.keyring().identity("app-1").models()).isEmpty();
  }

  @ParameterizedTest(name = "{0}: {1} {2}")
  @MethodSource("wrongRoles")
  void aWrongRoleIsForbidden(String who, String method, String path, boolean admin)
      throws Exception {
    long calls = gateway.modelCalls();
    int version = gateway.served().version();
    GatewayClient c = GatewayClient.as(home.keyring(), who);
    int port = admin ? gateway.adminPort().orElseThrow() : gateway.port();
    GatewayClient.Reply r = method.equals("GET") ? c.get(port, path)
        : c.post(port, path, EndToEndTest.INSTANCE);

    assertThat(r.status()).as(r.body()).isEqualTo(403);
    assertThat(r.body()).contains("\"error\":\"forbidden\"");
    assertThat(gateway.modelCalls()).isEqualTo(calls);
    assertThat(gateway.served().version()).isEqualTo(version);
  }

  /** A client sending {@code Authorization: Basic ...} with nothing else. */
  private record BasicAuth(Keyring k) {
    GatewayClient client() {
      return GatewayClient.anonymous(k).withBearer("x").withScheme("Basic");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
    home.close();
    other.close();
  }

  static Stream<Arguments> matrix() {
    String[][] endpoints = {
      {"GET", "/healthz", "main"}, {"GET", "/v1/models/credit-risk", "main"},
      {"POST", EndToEndTest.PREDICT, "main"}, {"GET", "/metrics", "main"},
      {"GET", "/v1/models/other", "main"},
      {"GET", "/healthz", "admin"}, {"GET", "/v1/admin/models/credit-risk", "admin"},
      {"POST", "/v1/admin/models/credit-risk:reload", "admin"},
      {"POST", "/v1/admin/models/credit-risk:rollback", "admin"}
    };
    return CALLERS.keySet().stream().flatMap(c -> Stream.of(endpoints)
        .map(e -> Arguments.of(c, e[0], e[1], e[2])));
  }

  @ParameterizedTest(name = "{0}: {1} {2} ({3})")
  @MethodSource("matrix")
  void refusedBeforeTheModel(String caller, String method, String path, String listener)
      throws Exception {
    long calls = gateway.modelCalls();
    int version = gateway.served().version();
    GatewayClient c = CALLERS.get(caller);
    int port = listener.equals("admin") ? gateway.adminPort().orElseThrow() : gateway.port();
    GatewayClient.Reply r;
    try {
      r = method.equals("GET") ? c.get(port, path)
          : c.post(port, path, EndToEndTest.INSTANCE);
    } catch (IOException refusedInTheHandshake) {
      assertThat(gateway.modelCalls()).isEqualTo(calls);
      return;
    }
    assertThat(r.status()).as(r.body()).isIn(401, 403);
    assertThat(r.body()).contains("\"error\":\"").contains("\"message\":\"");
    assertThat(gateway.modelCalls()).isEqualTo(calls);
    assertThat(gateway.served().version()).isEqualTo(version);
  }
}
