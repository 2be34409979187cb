package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.crypto.Keyring;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.PipelineDefinition;
import dev.bastion.pipeline.Runner;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.GatewayClient;
import dev.bastion.serve.ServedModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The gateway's answers to bad requests: JSON errors with the right status, never the model. */
class GatewayLimitsTest {
  @TempDir static Path tmp;
  static Home home;
  static Gateway gateway;
  static GatewayClient client;
  static ServedModel served;

  @BeforeAll
  static void start() throws Exception {
    Path pipeline = Examples.copyCredit(tmp.resolve("credit"));
    home = Home.init(tmp.resolve("home"));
    Examples.run(home, pipeline);
    served =
        ServedModel.load("credit-risk", home.registry(), home.chainVerifier(), home.trust(), "t");
    gateway =
        Gateway.start(
            new Gateway.Config("127.0.0.1", 0, 1000, 1000, 4096, 5), served, home.keyring(),
            home.trust(), home.ledger());
    client = GatewayClient.as(home.keyring(), Keyring.DEMO_CLIENT);
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
    home.close();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "not JSON | {instances: | 400 | bad_request",
        "not an object | [1,2] | 400 | bad_request",
        "no instances | {\"x\":1} | 400 | bad_request",
        "empty instances | {\"instances\":[]} | 400 | bad_request",
        "too many instances | {\"instances\":[{},{},{},{},{},{}]} | 400 | bad_request",
        "instance not an object | {\"instances\":[1]} | 400 | bad_request",
        "NaN literal | {\"instances\":[{\"duration\":NaN}]} | 400 | bad_request",
        "nested value | {\"instances\":[{\"duration\":{\"a\":1}}]} | 400 | bad_request",
        "missing fields | {\"instances\":[{\"duration\":6}]} | 400 | bad_request",
        "duplicate keys | {\"instances\":[],\"instances\":[]} | 400 | bad_request",
        "huge exponent | {\"instances\":[{\"duration\":1e999999999}]} | 400 | bad_request",
      })
  void malformedRequestsAreRefusedWithAJsonError(
      String what, String body, int status, String code) throws Exception {
    long calls = gateway.modelCalls();
    GatewayClient.Reply r = client.post(gateway.port(), EndToEndTest.PREDICT, body);
    assertThat(r.status()).as(what).isEqualTo(status);
    assertThat(r.body()).contains("\"error\":\"" + code + "\"").contains("\"message\":");
    assertThat(gateway.modelCalls()).isEqualTo(calls);
  }

  /** A TLS connection to the gateway as the demo client. */
  static javax.net.ssl.SSLSocket connect() throws Exception {
    char[] pw = "pw".toCharArray();
    javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
    kmf.init(home.keyring().keyStore(Keyring.DEMO_CLIENT, pw), pw);
    javax.net.ssl.TrustManagerFactory tmf =
        javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
    tmf.init(home.keyring().trustStore());
    javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    javax.net.ssl.SSLSocket sock = (javax.net.ssl.SSLSocket) ctx.getSocketFactory()
        .createSocket("127.0.0.1", gateway.port());
    sock.setSoTimeout(10_000);
    return sock;
  }

  @Test
  void oneIdentityCannotTakeEveryPermit() throws Exception {
    int share = 12; // three quarters of the default 16
    List<javax.net.ssl.SSLSocket> held = new java.util.ArrayList<>();
    try {
      // Requests that send the first byte of their body and stall hold their permits until
      // the timeout (Jetty dispatches a request once some of its body has come).
      for (int i = 0; i < share; i++) {
        javax.net.ssl.SSLSocket s = connect();
        s.getOutputStream().write(("POST " + EndToEndTest.PREDICT + " HTTP/1.1\r\nHost: x\r\n"
            + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        held.add(s);
      }
      // Wait until the gateway has them all in hand (its in-flight gauge, read by an auditor).
      home.keyring().issueClient("share-auditor", "auditor");
      GatewayClient auditor = GatewayClient.as(home.keyring(), "share-auditor");
      java.util.regex.Pattern gauge =
          java.util.regex.Pattern.compile("(?m)^bastion_gateway_in_flight ([0-9.]+)");
      long until = System.nanoTime() + 20_000_000_000L;
      double inFlight = 0;
      while (inFlight < share + 1 && System.nanoTime() < until) { // + 1: the scrape itself
        var m = gauge.matcher(auditor.get(gateway.port(), "/metrics").body());
        inFlight = m.find() ? Double.parseDouble(m.group(1)) : 0;
        if (inFlight < share + 1) {
          Thread.sleep(50);
        }
      }
      assertThat(inFlight).as("requests in flight once the stalled ones are in hand")
          .isGreaterThanOrEqualTo(share + 1);
      GatewayClient.Reply r =
          client.post(gateway.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.body()).contains("its share of the gateway");
      assertThat(r.retryAfter()).isEqualTo("1");
      home.keyring().issueClient("other-share", "predict");
      assertThat(GatewayClient.as(home.keyring(), "other-share")
          .post(gateway.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
          .as("another identity still gets in").isEqualTo(200);
    } finally {
      for (javax.net.ssl.SSLSocket s : held) {
        s.close();
      }
    }
  }

  /** Sends {@code head} (the request line and headers, CRLF-ended) as it is; the raw answer. */
  static String raw(String head) throws Exception {
    try (javax.net.ssl.SSLSocket sock = connect()) {
      sock.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      sock.getOutputStream().flush();
      return new String(sock.getInputStream().readAllBytes(),
          java.nio.charset.StandardCharsets.ISO_8859_1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "encoded separator in the path | GET /v1/models/a%2Fb HTTP/1.1 | 400 | bad_request",
        "bad escape in the path | GET /%zz HTTP/1.1 | 400 | bad_request",
        "path above the root | GET /../../etc/passwd HTTP/1.1 | 400 | bad_request",
        "headers too large | GET /healthz HTTP/1.1 CRLF X-Pad: PAD | 431 | headers_too_large",
        "not HTTP | HELLO | 400 | bad_request",
        "another HTTP version | GET /healthz HTTP/1.2 | 400 | bad_request",
        "HTTP/0.9 | GET /healthz | 400 | bad_request",
        "two Authorization headers | GET /healthz HTTP/1.1 CRLF Authorization: Bearer a CRLF"
            + " Authorization: Bearer b | 400 | bad_request",
      })
  void requestsRefusedBeforeTheGatewayGetItsJsonErrorAndAreOnTheLedger(
      String what, String line, int status, String code) throws Exception {
    long calls = gateway.modelCalls();
    long entries = home.ledger().size();
    String head = line.replace(" CRLF ", "\r\n").replace("PAD", "x".repeat(20_000))
        + "\r\nHost: localhost\r\n\r\n";
    String answer = raw(head);
    assertThat(answer).as(what).startsWith("HTTP/1.1 " + status);
    assertThat(answer).contains("Content-Type: application/json")
        .contains("{\"error\":\"" + code + "\",\"message\":");
    assertThat(answer).doesNotContainIgnoringCase("<html");
    assertThat(gateway.modelCalls()).isEqualTo(calls);
    assertThat(home.ledger().size()).as("the refusal is on the ledger").isGreaterThan(entries);
  }

  @Test
  void aPathWithADotSegmentOrAParameterIsRefusedNotResolved() throws Exception {
    long calls = gateway.modelCalls();
    byte[] body = EndToEndTest.INSTANCE.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (String path : List.of("/v1/models/zzz/../credit-risk:predict",
        "/v1/models/./credit-risk:predict", "/v1/models/zzz/..;x/credit-risk:predict",
        "/v1/models/credit-risk:predict;jsessionid=1", "/v1/models/credit-risk;x=1:predict")) {
      long entries = home.ledger().size();
      String answer = raw("POST " + path + " HTTP/1.1\r\nHost: localhost\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length
          + "\r\nConnection: close\r\n\r\n" + EndToEndTest.INSTANCE);
      assertThat(answer).as(path).startsWith("HTTP/1.1 400")
          .contains("{\"error\":\"bad_request\",\"message\":");
      assertThat(home.ledger().size()).as("the refusal is on the ledger").isGreaterThan(entries);
      // (Jetty itself refuses "..;x", before authentication, and names the path in the
      // action.) The gateway refuses the others once the client is authenticated: the entry
      // has its identity, and the path as sent.
      boolean jetty = path.contains("..;");
      assertThat(LedgerVerifier.events(home.ledger().directory())).as("the path as sent")
          .anyMatch(e -> e.action().equals("POST " + path) && (jetty
              || path.equals(e.details().get("path")) && !e.actor().equals("unauthenticated")));
    }
    assertThat(gateway.modelCalls()).isEqualTo(calls);
    String health = raw("GET /healthz;foo HTTP/1.1\r\nHost: localhost\r\nConnection: close"
        + "\r\n\r\n");
    assertThat(health).startsWith("HTTP/1.1 400");
  }

  @Test
  void aValueInAnErrorIsCutShort() throws Exception {
    String huge = "a".repeat(3000);
    GatewayClient.Reply r = client.post(gateway.port(), EndToEndTest.PREDICT,
        EndToEndTest.INSTANCE.replace("\"radio/tv\"", "\"" + huge + "\""));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).contains("'" + "a".repeat(40) + "...'").hasSizeLessThan(400);
    GatewayClient.Reply key = client.post(gateway.port(), EndToEndTest.PREDICT,
        EndToEndTest.INSTANCE.replace("\"duration\":6,", "\"duration\":6,\"" + huge + "\":1,"));
    assertThat(key.status()).isEqualTo(400);
    assertThat(key.body()).hasSizeLessThan(400);
    // The JSON parser's own messages quote the input too.
    GatewayClient.Reply token = client.post(gateway.port(), EndToEndTest.PREDICT, huge);
    assertThat(token.status()).isEqualTo(400);
    assertThat(token.body()).contains("'" + "a".repeat(40) + "...'").hasSizeLessThan(400);
  }

  @Test
  void metricsAreForAuditorsInPrometheusText() throws Exception {
    client.post(gateway.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
    home.keyring().issueClient("auditor-m", "auditor");
    GatewayClient.Reply m = GatewayClient.as(home.keyring(), "auditor-m")
        .get(gateway.port(), "/metrics");
    assertThat(m.status()).isEqualTo(200);
    assertThat(m.body()).contains("# TYPE bastion_gateway_requests_total counter")
        .contains("bastion_gateway_requests_total{outcome=\"ok\",status=\"200\"}")
        .contains("bastion_gateway_model_calls_total")
        .contains("bastion_gateway_request_latency_seconds{quantile=\"0.99\"}")
        .contains("bastion_gateway_in_flight");
    GatewayClient.Reply denied = client.get(gateway.port(), "/metrics");
    assertThat(denied.status()).isEqualTo(403);
    assertThat(denied.body()).contains("metrics need 'auditor' or 'admin'");
  }

  @Test
  void deepNestingIsRefused() throws Exception {
    String deep = "{\"instances\":" + "[".repeat(200) + "]".repeat(200) + "}";
    GatewayClient.Reply r = client.post(gateway.port(), EndToEndTest.PREDICT, deep);
    assertThat(r.status()).isEqualTo(400);
  }

  @Test
  void aBodyOverTheLimitIs413() throws Exception {
    String big = "{\"instances\":[{\"pad\":\"" + "x".repeat(5000) + "\"}]}";
    GatewayClient.Reply r = client.post(gateway.port(), EndToEndTest.PREDICT, big);
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.body()).contains("payload_too_large");
  }

  @Test
  void unknownPathsAndMethods() throws Exception {
    assertThat(client.get(gateway.port(), "/nope").status()).isEqualTo(404);
    assertThat(client.get(gateway.port(), EndToEndTest.PREDICT).status()).isEqualTo(405);
    assertThat(client.get(gateway.port(), "/v1/models/other:predict").status()).isEqualTo(404);
    GatewayClient.Reply status = client.get(gateway.port(), "/v1/models/credit-risk");
    assertThat(status.status()).isEqualTo(200);
    assertThat(status.body()).contains("AVAILABLE");
    assertThat(client.get(gateway.port(), "/healthz").body()).contains("ok");
  }

  @Test
  void aBurstOverTheRateLimitGets429WithRetryAfter() throws Exception {
    home.keyring().issueClient("burst-client", "predict");
    GatewayClient burst = GatewayClient.as(home.keyring(), "burst-client");
    int limited = 0;
    String retryAfter = "";
    try (Gateway slow =
        Gateway.start(new Gateway.Config("127.0.0.1", 0, 1, 3, 4096, 5), served, home.keyring(),
            home.trust(), home.ledger())) {
      for (int i = 0; i < 6; i++) {
        GatewayClient.Reply r = burst.post(slow.port(), EndToEndTest.PREDICT, EndToEndTest.INSTANCE);
        if (r.status() == 429) {
          limited++;
          retryAfter = r.retryAfter();
          assertThat(r.body()).contains("rate_limited");
        } else {
          assertThat(r.status()).isEqualTo(200);
        }
      }
    }
    assertThat(limited).isGreaterThanOrEqualTo(2); // burst of 3, refill 1/s
    assertThat(Integer.parseInt(retryAfter)).isPositive();
  }
}
