package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.ledger.Event;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.pipeline.Home;
import dev.bastion.serve.GatewayClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bastion serve} stopped as an operator stops it (SIGTERM, as {@code kill} and service
 * managers send): the gateway closes as on any other stop, so what it tells only at close reaches
 * the ledger, and the exported checkpoint covers every entry.
 */
class ServeShutdownTest {
  @TempDir Path tmp;

  @AfterEach
  void restore() {
    System.clearProperty(Home.PROPERTY);
  }

  private static String readQuietly(Path f) {
    try {
      return java.nio.file.Files.readString(f);
    } catch (IOException e) {
      return "(no output)";
    }
  }

  @Test
  void sigtermClosesTheGatewayAndTheLedger() throws Exception {
    Path homeDir = Examples.creditHome(tmp);
    GatewayClient stranger;
    try (Home h = Home.open(homeDir)) {
      stranger = GatewayClient.anonymous(h.keyring());
    }
    Path log = tmp.resolve("serve.err");
    List<String> cmd = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-Xshare:auto"));
    // The home, and where the tests keep their master keys.
    System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bastion."))
        .sorted().forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
    cmd.addAll(List.of(Main.class.getName(), "serve", "--port", "0", "--auth-failures", "3"));
    Process child = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    try {
      CompletableFuture<Integer> port = new CompletableFuture<>();
      Thread reader = new Thread(() -> {
        Pattern serving = Pattern.compile("^serving .* on https://127\\.0\\.0\\.1:(\\d+) ");
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            Matcher m = serving.matcher(line);
            if (m.find()) {
              port.complete(Integer.parseInt(m.group(1)));
            }
          }
        } catch (IOException e) {
          // the pipe closes with the child
        }
        port.completeExceptionally(new IllegalStateException("serve printed no address: "
            + readQuietly(log)));
      });
      reader.start();
      int p = port.get(120, TimeUnit.SECONDS);
      for (int i = 0; i < 4; i++) {
        assertThat(stranger.post(p, EndToEndTest.PREDICT, EndToEndTest.INSTANCE).status())
            .isEqualTo(401);
      }
      // The fourth failure started a ban: the next connection is closed unanswered.
      assertThatThrownBy(() -> stranger.post(p, EndToEndTest.PREDICT, EndToEndTest.INSTANCE))
          .isInstanceOf(IOException.class);
      child.destroy(); // SIGTERM
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("serve stops on SIGTERM").isTrue();
    } finally {
      child.destroyForcibly();
    }
    Path ledger = homeDir.resolve("ledger");
    List<Event> events = LedgerVerifier.events(ledger);
    assertThat(events).filteredOn(e -> e.action().equals("address-ban-cut-short"))
        .singleElement()
        .satisfies(e -> assertThat(e.details()).containsEntry("refused", "1"));
    // Closed, not killed: the stored tree and its exported checkpoint reach the last entry, so
    // a proof of it needs nothing to catch up first.
    assertThat(LedgerVerifier.prove(ledger, Home.ledgerVerifier(homeDir), events.size() - 1)
        .get("tree_size").asLong()).isEqualTo(events.size());
  }
}
