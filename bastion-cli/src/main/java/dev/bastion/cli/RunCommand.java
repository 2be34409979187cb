package dev.bastion.cli;

import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.Integrity;
import dev.bastion.pipeline.PipelineDefinition;
import dev.bastion.pipeline.Runner;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "run",
    description = "Run a pipeline: every stage gated, signed and logged, up to registration.")
final class RunCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "PIPELINE.yaml", description = "the pipeline definition")
  Path pipeline;

  @Override
  public Integer call() throws Exception {
    PipelineDefinition def = PipelineDefinition.load(pipeline);
    try (Home home = Home.open(Home.defaultDir())) {
      Runner.Result r = new Runner(home, line -> System.out.println("  " + line))
          .run(def, Integrity.Invocation.bastionRun());
      System.out.println("run " + r.runId() + " registered " + r.registration().name() + " v"
          + r.registration().version());
    }
    return 0;
  }
}
