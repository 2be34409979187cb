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
    Path p = pipeline;
    if (p == null) {
      String root = System.getProperty("bastion.root", ".");
      p = Path.of(root, "examples", "credit", "pipeline.yaml");
    }
    new Demo(Home.defaultDir(), p, System.out).run();
    return 0;
  }
}
