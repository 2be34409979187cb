package dev.bastion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What every command of the command line shares. */
class MainTest {
  private static void commands(CommandLine c, List<String> path, List<List<String>> out) {
    out.add(path);
    c.getSubcommands().forEach((name, sub) -> {
      if (!sub.getCommandSpec().name().equals(name)) {
        return; // an alias
      }
      List<String> p = new ArrayList<>(path);
      p.add(name);
      commands(sub, p, out);
    });
  }

  @Test
  void anErrorOfTheJvmIsOneLineAndExitCode70() {
    StringWriter out = new StringWriter();
    int code = Main.fatal(new OutOfMemoryError("Java heap space"), new PrintWriter(out));
    assertThat(code).isEqualTo(Main.INTERNAL_ERROR);
    assertThat(out.toString().strip().lines()).singleElement().asString()
        .startsWith("bastion: out of memory (heap limit ").contains("BASTION_JAVA_OPTS=-Xmx");
    out = new StringWriter();
    assertThat(Main.fatal(new StackOverflowError(), new PrintWriter(out))).isEqualTo(70);
    assertThat(out.toString().strip().lines()).singleElement().asString()
        .startsWith("bastion: internal error: java.lang.StackOverflowError");
  }

  @Test
  void everyCommandThatTakesVersionPrintsIt() {
    List<List<String>> all = new ArrayList<>();
    commands(Main.commandLine(), List.of(), all);
    String expected = "bastion " + dev.bastion.attest.BastionVersion.get();
    int checked = 0;
    for (List<String> path : all) {
      CommandLine cl = Main.commandLine();
      CommandLine at = cl;
      for (String p : path) {
        at = at.getSubcommands().get(p);
      }
      if (at.getCommandSpec().findOption("--version") == null) {
        continue;
      }
      StringWriter out = new StringWriter();
      cl.setOut(new PrintWriter(out, true));
      List<String> args = new ArrayList<>(path);
      args.add("-V");
      assertThat(cl.execute(args.toArray(String[]::new))).as(String.join(" ", args)).isZero();
      assertThat(out.toString().strip()).as(String.join(" ", args)).isEqualTo(expected);
      checked++;
    }
    assertThat(checked).as("commands with -V").isGreaterThan(5);
  }
}
