package dev.bastion.cli;

import dev.bastion.pipeline.Home;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "demo",
    description = "Init, run the credit-risk example end to end, serve it, make one authenticated"
        + " prediction, show an unauthenticated one refused, verify the ledger.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--pipeline", description = "pipeline definition (default: the credit example)")
  Path pipeline;

  @Override
  public Integer call() throws Exception {
    new Demo(Home.defaultDir(), pipeline != null ? pipeline : defaultPipeline(), System.out)
        .run();
    return 0;
  }

  /** The credit example of the Bastion checkout the launcher runs from. */
  static Path defaultPipeline() {
    String root = System.getProperty("bastion.root", ".");
    return Path.of(root, "examples", "credit", "pipeline.yaml");
  }
}
