package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.crypto.Keyring;
import dev.bastion.pipeline.Home;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.ServedModel;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A body trickled in slowly is cut off at the request timeout, not kept open. */
class GatewayTimeoutTest {
  @TempDir Path tmp;

  @Test
  void aSlowBodyGets408AtTheDeadline() throws Exception {
    try (Home home = Home.init(tmp.resolve("home"))) {
      ServedModel served = Examples.servedCredit(home, tmp);
      Gateway.Config config = Gateway.Config.defaults().withPort(0).withRate(1000, 1000)
          .withRequestTimeout(Duration.ofSeconds(1));
      try (Gateway g = Gateway.start(config, served, home.keyring(), home.trust(),
          home.ledger())) {
        char[] pw = "pw".toCharArray();
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(home.keyring().keyStore(Keyring.DEMO_CLIENT, pw), pw);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(home.keyring().trustStore());
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        String body = EndToEndTest.INSTANCE;
        long start = System.nanoTime();
        String reply;
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1",
            g.port())) {
          s.setSoTimeout(10_000);
          OutputStream out = s.getOutputStream();
          out.write(("POST " + EndToEndTest.PREDICT + " HTTP/1.1\r\nHost: localhost\r\n"
              + "Content-Type: application/json\r\nContent-Length: " + body.length()
              + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          out.flush();
          // Read the answer as it comes, while one byte goes every 200 ms: each read is quick,
          // the whole body would take minutes.
          java.util.concurrent.CompletableFuture<String> answer =
              java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                  InputStream in = s.getInputStream();
                  return new String(in.readNBytes(12), StandardCharsets.US_ASCII);
                } catch (java.io.IOException e) {
                  return "read failed: " + e;
                }
              });
          try {
            for (int i = 0; i < body.length() && !answer.isDone(); i++) {
              out.write(body.charAt(i));
              out.flush();
              Thread.sleep(200);
            }
          } catch (java.io.IOException closedByTheGateway) {
            // expected once the gateway gave up on the request
          }
          reply = answer.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(reply).isEqualTo("HTTP/1.1 408");
        assertThat(seconds).isLessThan(5);
        assertThat(g.modelCalls()).isZero();
      }
    }
  }
}
