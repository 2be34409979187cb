package dev.bastion.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Json;
import dev.bastion.pipeline.Home;
import dev.bastion.registry.ChainVerifier;
import dev.bastion.registry.ModelChain;
import dev.bastion.registry.ModelRegistry;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "verify-chain",
    description = "Walk back from a registered model to its source data, checking every signature,"
        + " digest and gate decision. Exit 0 when the whole chain holds, 1 at the first broken"
        + " link, naming it.")
final class VerifyChainCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "MODEL", description = "NAME, NAME@VERSION or sha256:...")
  String model;

  @Option(names = "--json", description = "print the chain as JSON")
  boolean json;

  @Override
  public Integer call() throws Exception {
    try (Home home = Home.open(Home.defaultDir())) {
      String run = "verify-" + UUID.randomUUID();
      ModelRegistry.Registration reg = home.registry().resolve(model);
      ModelChain chain = home.registry().chainOf(reg, home.trust(), "auditor", run);
      ChainVerifier.Verified v = home.chainVerifier().verifyAll(chain, "auditor", run);
      if (json) {
        ObjectNode o = Json.object();
        o.put("name", reg.name());
        o.put("version", reg.version());
        o.put("model", reg.model().toString());
        o.put("registration", reg.registration().toString());
        o.put("verified", true);
        ArrayNode links = o.putArray("links");
        for (ChainVerifier.Link l : v.links()) {
          ObjectNode lo = links.addObject();
          lo.put("link", l.link());
          lo.put("digest", l.digest().toString());
          lo.put("signer", l.signer());
          lo.put("detail", l.detail());
        }
        System.out.println(Json.canonicalString(o));
      } else {
        System.out.println("chain of " + reg.name() + " v" + reg.version() + " (" + reg.model()
            + ") verified: registration signed by registry, " + v.links().size() + " links");
        for (ChainVerifier.Link l : v.links()) {
          System.out.printf("  %-20s %s  %-8s %s%n", l.link(), l.digest().shortHex(),
              l.signer().isEmpty() ? "-" : l.signer(), l.detail());
        }
      }
    }
    return 0;
  }
}
