package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.Integrity;
import dev.bastion.pipeline.PipelineDefinition;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "approve",
    description = {
      "Sign the reviewed version of a pipeline definition and of the schema it names, or of the"
          + " gate policies and the runners list (--policies), as the approved one (signed by the"
          + " gate identity).",
      "A run refuses a definition, schema or policies that differ from their approved version, and"
          + " records an alert; an approval is a configuration change on the ledger, and a"
          + " changed gate configuration an alert.",
      "--policies is refused (exit 1, an alert) to a user not in the runners list approved"
          + " before."
    })
final class ApproveCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "PIPELINE.yaml",
      description = "the pipeline definition to approve")
  Path pipeline;

  @Option(names = "--policies",
      description = "approve policies/gates.json and policies/runners.json of BASTION_HOME")
  boolean policies;

  @Override
  public Integer call() throws Exception {
    if ((pipeline == null) == !policies) {
      throw new BadInputException("give either PIPELINE.yaml or --policies");
    }
    try (Home home = Home.open(Home.defaultDir())) {
      String actor = Integrity.currentUser();
      if (policies) {
        home.approvePolicies(actor);
        System.out.println("approved gate policies " + home.policies().digest()
            + " and the runners list, as " + actor);
      } else {
        PipelineDefinition def = PipelineDefinition.load(pipeline);
        Digest d = home.integrity().approve(pipeline, "pipeline", def.name(), actor);
        System.out.println("approved pipeline '" + def.name() + "' " + d + " and its schema "
            + def.schema().getFileName() + " as " + actor);
      }
    }
    return 0;
  }
}
