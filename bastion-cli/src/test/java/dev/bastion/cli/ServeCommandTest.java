package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.pipeline.Home;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bastion serve} refusing to start: one line, exit 2, never an internal error. */
class ServeCommandTest {
  @TempDir Path tmp;

  @BeforeEach
  void init() throws Exception {
    Examples.creditHome(tmp);
  }

  @AfterEach
  void restore() {
    System.clearProperty(Home.PROPERTY);
  }

  private static String[] serve(String... args) {
    var cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(new StringWriter(), true));
    cl.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 1];
    all[0] = "serve";
    System.arraycopy(args, 0, all, 1, args.length);
    int code = cl.execute(all);
    return new String[] {Integer.toString(code), err.toString().strip()};
  }

  @Test
  void aPortOutOfRangeIsBadUsage() {
    for (String port : new String[] {"70000", "-1", "65536"}) {
      String[] r = serve("--port", port);
      assertThat(r[0]).as(r[1]).isEqualTo("2");
      assertThat(r[1]).isEqualTo("bastion: --port " + port
          + ": expected a port from 1 to 65535 (0: any free one)");
    }
  }

  @Test
  void aPortInUseIsOneLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      long before = ledgerSize();
      String[] r = serve("--port", Integer.toString(port));
      assertThat(r[0]).as(r[1]).isEqualTo("2");
      assertThat(r[1]).startsWith("bastion: --port " + port + ": cannot listen there (")
          .doesNotContain("internal error").doesNotContain("\n");
      // Found before the home was opened: no serving session, no chain verified.
      assertThat(ledgerSize()).isEqualTo(before);
    }
  }

  @Test
  void anAdminPortInUseIsOneLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      long before = ledgerSize();
      String[] r = serve("--port", "0", "--admin-port", Integer.toString(port));
      assertThat(r[0]).as(r[1]).isEqualTo("2");
      assertThat(r[1]).startsWith("bastion: --admin-port " + port + ": cannot listen there (")
          .doesNotContain("\n");
      assertThat(ledgerSize()).isEqualTo(before);
    }
  }

  @Test
  void anAdminPortOutOfRangeIsBadUsage() {
    // -1 was once the option's own "closed" default, and typing it opened nothing silently.
    for (String port : new String[] {"-1", "0", "70000"}) {
      String[] r = serve("--port", "0", "--admin-port", port);
      assertThat(r[0]).as(r[1]).isEqualTo("2");
      assertThat(r[1]).isEqualTo("bastion: --admin-port must be a port from 1 to 65535 other"
          + " than --port");
    }
  }

  @Test
  void anUnknownModelIsBadInputAsForVerifyChain() {
    for (String[] c : new String[][] {{"nope", "no registered model named 'nope'"},
        {"credit-risk@99", "no version 99 of model 'credit-risk'"},
        {"../x", "../x"}}) {
      String[] r = serve("--port", "0", "--model", c[0]);
      assertThat(r[0]).as(r[1]).isEqualTo("2");
      assertThat(r[1]).startsWith("bastion: ").contains(c[1]).doesNotContain("\n");
    }
  }

  @Test
  void anOutputPolicyPerRoleIsGivenOnce() {
    // Two policies for one role: refused, not the last one silently kept (a looser one).
    String[] r = serve("--port", "0", "--output", "predict=label",
        "--output", "predict=probabilities:6");
    assertThat(r[0]).as(r[1]).isEqualTo("2");
    assertThat(r[1]).isEqualTo("bastion: --output predict=...: given more than once; give each"
        + " role one policy");
    for (String[] c : new String[][] {{"predict", "expected ROLE=POLICY"},
        {"nobody=label", "expected a role"}, {"predict=top-k:0", "predict=top-k:0"}}) {
      r = serve("--port", "0", "--output", c[0]);
      assertThat(r[0]).as(r[1]).isEqualTo("2");
      assertThat(r[1]).startsWith("bastion: --output ").contains(c[1]).doesNotContain("\n");
    }
  }

  private static long ledgerSize() throws Exception {
    try (Home home = Home.open(Home.defaultDir())) {
      return home.ledger().size();
    }
  }
}
