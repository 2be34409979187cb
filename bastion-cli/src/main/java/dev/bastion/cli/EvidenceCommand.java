package dev.bastion.cli;

import dev.bastion.pipeline.Home;
import dev.bastion.registry.Evidence;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "evidence",
    description = "Evidence for auditors, checkable offline.",
    subcommands = {EvidenceCommand.ExportCommand.class})
final class EvidenceCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  @Command(
      name = "export",
      description = "Verify a registered model's chain, then write everything needed to verify it"
          + " elsewhere (bastion verify-chain --evidence DIR --trust-root CA.pem) into DIR."
          + " Exit 1 if the chain does not verify; nothing is written then.")
  static final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "NAME, NAME@VERSION or sha256:...")
    String model;

    @Parameters(index = "1", paramLabel = "DIR", description = "a new or empty directory")
    Path dir;

    @Option(
        names = "--without-data",
        description = "leave out the data snapshot and the model (otherwise both are exported in"
            + " clear); their contents are then not checked by the verifier")
    boolean withoutData;

    @Override
    public Integer call() throws Exception {
      try (Home home = Home.open(Home.defaultDir())) {
        Evidence.Exported e = Evidence.export(home.registry(), home.store(), home.keyring(),
            home.ledger(), model, dir, !withoutData, dev.bastion.pipeline.Integrity.currentUser(),
            home.integrity().openSession("evidence"));
        System.out.println("exported the verified chain of " + e.registration().name() + " v"
            + e.registration().version() + " (" + e.registration().model() + ") to " + dir + ": "
            + e.artifacts() + " artifacts, certificates of " + String.join(", ", e.identities()));
        System.out.println(e.withData()
            ? "it contains the model and its data (tokenised snapshot or reference data) in"
                + " clear: protect it accordingly"
            : "without data: the data and the model are not included and will not be checked");
      }
      return 0;
    }
  }
}
