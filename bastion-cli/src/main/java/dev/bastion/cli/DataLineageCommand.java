package dev.bastion.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.Lineage;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "lineage",
    description = {
      "Print where an artifact came from: the steps that made it (stage, run, signer, time,"
          + " code version) and their inputs, down to each source file (URI and digest), from"
          + " the signed provenance in the store; every attestation is verified first.",
      "Formats: text (a tree), dot (Graphviz), openlineage (OpenLineage 2-0-2 run events, one"
          + " JSON object a line: a START and a COMPLETE per step, for the lineage tools already"
          + " in use). Exit 0; 1 if an attestation does not verify; 2 if nothing made it."
    })
final class DataLineageCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "ARTIFACT",
      description = "a snapshot, model or report digest (sha256:...), or a registered model as"
          + " NAME or NAME@VERSION")
  String artifact;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
      description = "text, dot or openlineage (default: ${DEFAULT-VALUE})")
  String format;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!format.equals("text") && !format.equals("dot") && !format.equals("openlineage")) {
      throw new BadInputException("--format " + format + ": expected text, dot or openlineage");
    }
    PrintWriter out = spec.commandLine().getOut();
    try (Home home = Home.open(Home.defaultDir())) {
      String run = home.integrity().openSession("lineage");
      try {
        Digest target;
        if (artifact.startsWith(Digest.ALGORITHM + ":")) {
          try {
            target = Digest.parse(artifact);
          } catch (IllegalArgumentException e) {
            throw new BadInputException("'" + artifact + "' is not a sha256 digest");
          }
        } else if (artifact.matches("[0-9a-fA-F]{64}")) {
          throw new BadInputException("'" + artifact + "': a digest is written with its"
              + " algorithm, " + Digest.ALGORITHM + ":"
              + artifact.toLowerCase(java.util.Locale.ROOT));
        } else {
          target = home.registry().resolve(artifact).model();
        }
        Lineage.Graph g =
            Lineage.of(home, target, dev.bastion.pipeline.Integrity.currentUser(), run);
        switch (format) {
          case "dot" -> out.print(Lineage.dot(g));
          case "openlineage" -> {
            for (ObjectNode e : Lineage.openLineage(g)) {
              out.println(new String(Json.canonical(e), StandardCharsets.UTF_8));
            }
          }
          default -> out.print(Lineage.text(g));
        }
        out.flush();
      } finally {
        home.integrity().closeSession(run);
      }
    }
    return 0;
  }
}
