package dev.bastion.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.CheckFailedException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Pem;
import dev.bastion.pipeline.Home;
import dev.bastion.registry.Chain;
import dev.bastion.registry.ChainVerifier;
import dev.bastion.registry.Evidence;
import dev.bastion.registry.ModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "verify-chain",
    description = "Walk back from a registered model to its source data, checking every signature,"
        + " digest and gate decision. Exit 0 when the whole chain holds, 1 at the first broken"
        + " link, naming it. With --evidence, check an export from 'bastion evidence export'"
        + " against a trust root, with no BASTION_HOME.")
final class VerifyChainCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "MODEL",
      description = "NAME, NAME@VERSION or sha256:...; optional with --evidence, where it must"
          + " name the exported model")
  String model;

  @Option(names = "--json", description = "print the chain as JSON (when it does not hold,"
      + " {\"verified\":false,\"outcome\":...,\"error\":...} with the same exit code)")
  boolean json;

  @Option(names = "--evidence", paramLabel = "DIR",
      description = "verify exported evidence instead of a BASTION_HOME")
  Path evidence;

  @Option(names = "--trust-root", paramLabel = "ROOT.pem",
      description = "the deployment's CA certificate, obtained separately; with --evidence")
  Path trustRoot;

  @Option(names = "--require-data",
      description = "with --evidence: fail unless the export includes the data snapshot and the"
          + " model, so that their contents are checked too")
  boolean requireData;

  /** Largest trust root file read. */
  private static final int MAX_ROOT_BYTES = 64 << 10;

  @Override
  public Integer call() throws Exception {
    try {
      return verify();
    } catch (BastionException e) {
      if (json) {
        // A tool reading standard output learns the outcome there too; the one line for people
        // still goes to standard error, and the exit code is the same.
        ObjectNode o = Json.object();
        if (model != null) {
          o.put("model", model);
        }
        if (evidence != null) {
          o.put("evidence", evidence.toString());
        }
        o.put("verified", false);
        o.put("outcome", e instanceof CheckFailedException ? "check_failed" : "bad_input");
        o.put("error", e.getMessage());
        System.out.println(Json.canonicalString(o));
      }
      throw e;
    }
  }

  private int verify() throws Exception {
    if (evidence != null) {
      return verifyEvidence();
    }
    if (trustRoot != null || requireData) {
      throw new BadInputException(
          (requireData ? "--require-data" : "--trust-root") + " is used with --evidence DIR");
    }
    if (model == null) {
      throw new BadInputException("name the model to verify (NAME, NAME@VERSION or sha256:...),"
          + " or give --evidence DIR --trust-root ROOT.pem");
    }
    try (Home home = Home.open(Home.defaultDir())) {
      String run = home.integrity().openSession("verify");
      // Who read the artifacts: the operating-system user, as a run records it.
      String actor = dev.bastion.pipeline.Integrity.currentUser();
      ModelRegistry.Registration reg = home.registry().resolve(model);
      Chain chain = home.registry().chainOf(reg, home.trust(), actor, run);
      // An auditor checks every content too, not only what serving needs.
      ChainVerifier.Verified v =
          home.chainVerifier().verifyAll(chain, ChainVerifier.Contents.ALL, actor, run);
      print(reg, v);
    }
    return 0;
  }

  private int verifyEvidence() throws Exception {
    if (trustRoot == null) {
      throw new BadInputException("--evidence needs --trust-root ROOT.pem: the deployment's CA"
          + " certificate, obtained separately");
    }
    if (!Files.isRegularFile(trustRoot)) {
      throw new BadInputException(trustRoot + ": trust root not found");
    }
    if (Files.size(trustRoot) > MAX_ROOT_BYTES) {
      throw new BadInputException(trustRoot + ": larger than " + MAX_ROOT_BYTES + " bytes");
    }
    X509Certificate root = Pem.certificate(Files.readAllBytes(trustRoot), trustRoot.toString());
    Evidence.Checked c =
        Evidence.verify(evidence, root, "auditor", "verify-" + UUID.randomUUID());
    ModelRegistry.Registration reg = c.registration();
    if (model != null && !names(reg, model)) {
      throw new VerificationException("the evidence in " + evidence + " is of " + reg.name() + " v"
          + reg.version() + " (" + reg.model() + "), not " + model);
    }
    if (requireData && !c.verified().notChecked().isEmpty()) {
      throw new VerificationException("the evidence in " + evidence + " was exported without the "
          + String.join(" and the ", c.verified().notChecked().keySet())
          + ", and --require-data asks for their contents to be checked");
    }
    print(reg, c.verified());
    return 0;
  }

  private static boolean names(ModelRegistry.Registration reg, String ref) {
    if (ref.startsWith(Digest.ALGORITHM + ":")) {
      return ref.equals(reg.model().toString());
    }
    return ref.equals(reg.name()) || ref.equals(reg.name() + "@" + reg.version());
  }

  private void print(ModelRegistry.Registration reg, ChainVerifier.Verified v) {
    if (json) {
      ObjectNode o = Json.object();
      o.put("name", reg.name());
      o.put("version", reg.version());
      o.put("model", reg.model().toString());
      o.put("registration", reg.registration().toString());
      o.put("verified", true);
      if (evidence != null) {
        o.put("evidence", evidence.toString());
        o.put("contents_checked", v.notChecked().isEmpty());
        ObjectNode nc = o.putObject("not_checked");
        for (Map.Entry<String, Digest> e : v.notChecked().entrySet()) {
          nc.put(e.getKey(), e.getValue().toString());
        }
      }
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
          + ") verified: registration signed by registry, " + v.links().size() + " links"
          + (evidence == null ? "" : ", from the evidence in " + evidence));
      for (ChainVerifier.Link l : v.links()) {
        System.out.printf("  %-20s %s  %-8s %s%n", l.link(), l.digest().shortHex(),
            l.signer().isEmpty() ? "-" : l.signer(), l.detail());
      }
      if (!v.notChecked().isEmpty()) {
        System.out.println("not checked: the contents of the " + String.join(" and the ",
            v.notChecked().keySet()) + " (exported --without-data); their digests are checked"
            + " in every signed link");
      }
    }
  }
}
