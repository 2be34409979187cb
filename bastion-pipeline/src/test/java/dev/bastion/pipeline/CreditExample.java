package dev.bastion.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The shipped credit example, copied so a test may run (or change) it. */
final class CreditExample {
  private CreditExample() {}

  /** Copies examples/credit into {@code dir}; returns the copied pipeline definition. */
  static Path copyTo(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (String f : new String[] {"pipeline.yaml", "schema.json", "credit-g.csv"}) {
      Files.copy(Path.of("..", "examples", "credit", f), dir.resolve(f),
          StandardCopyOption.REPLACE_EXISTING);
    }
    return dir.resolve("pipeline.yaml");
  }

  /**
   * Approves {@code pipeline} in {@code home} (as a reviewer would, once) and runs it as {@code
   * bastion run} does.
   */
  static Runner.Result run(Home home, Path pipeline) throws Exception {
    PipelineDefinition def = PipelineDefinition.load(pipeline);
    home.integrity().approveIfFirst(pipeline, "pipeline", def.name(), "test");
    return new Runner(home, line -> {}).run(def, Integrity.Invocation.bastionRun());
  }
}
