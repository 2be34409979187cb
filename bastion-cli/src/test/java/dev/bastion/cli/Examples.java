package dev.bastion.cli;

import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.Integrity;
import dev.bastion.pipeline.PipelineDefinition;
import dev.bastion.pipeline.Runner;
import dev.bastion.serve.ServedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Copies of the shipped example, so tests can change them. */
final class Examples {
  static final Path CREDIT = Path.of("..", "examples", "credit");

  private Examples() {}

  /** Copies examples/credit into {@code dir}; returns the copied pipeline.yaml. */
  static Path copyCredit(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (String f : new String[] {"pipeline.yaml", "schema.json", "credit-g.csv"}) {
      Files.copy(CREDIT.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
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

  /**
   * A new home at {@code tmp/home}, made the command line's ({@link Home#PROPERTY}; the caller
   * clears it), with the credit pipeline run in it once: the setup of the command tests.
   */
  static Path creditHome(Path tmp) throws Exception {
    Path homeDir = tmp.resolve("home");
    System.setProperty(Home.PROPERTY, homeDir.toString());
    try (Home h = Home.init(homeDir)) {
      run(h, copyCredit(tmp.resolve("credit")));
    }
    return homeDir;
  }

  /**
   * Runs a copy (under {@code dir}) of the credit pipeline in {@code home} and loads its model as
   * the gateway does, chain verified: the setup of most gateway tests.
   */
  static ServedModel servedCredit(Home home, Path dir) throws Exception {
    run(home, copyCredit(dir.resolve("credit")));
    return ServedModel.load("credit-risk", home.registry(), home.chainVerifier(), home.trust(),
        "t");
  }
}
