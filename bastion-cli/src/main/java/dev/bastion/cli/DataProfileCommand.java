package dev.bastion.cli;

import dev.bastion.data.CsvReader;
import dev.bastion.data.profile.ColumnProfile;
import dev.bastion.data.profile.Profile;
import dev.bastion.data.profile.Profiler;
import dev.bastion.pipeline.Home;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bastion data profile}: a signed, mergeable profile of a CSV file. */
@Command(
    name = "profile",
    mixinStandardHelpOptions = true,
    description = {
      "Profile a CSV file in one pass and bounded memory: per column the cell counts by kind"
          + " (empty, integer, decimal, text), distinct values (HyperLogLog, 1.6%% standard error),"
          + " quantiles (KLL, rank error at most 1.25%%), frequent text values (Misra-Gries, 128"
          + " counters, exact below 129 distinct values).",
      "The profile is written as a DSSE envelope (in-toto Statement, subject: the file's SHA-256,"
          + " predicate type urn:bastion:predicate:data-profile:v1) signed by the home's ingest"
          + " key. With --merge, OLD's signature is verified, then only DATA is read and the"
          + " result covers both.",
      "CSV limits: 1 TiB per file, 65536 characters per field, 4096 columns, 2^40 rows."
    })
final class DataProfileCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DATA", description = "the CSV file (RFC 4180, UTF-8)")
  Path data;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "PROFILE",
      description = "where to write the signed profile")
  Path output;

  @Option(names = "--merge", paramLabel = "OLD",
      description = "a signed profile of earlier rows of the same data set, to update")
  Path merge;

  @CommandLine.Mixin DelimiterOption csv = new DelimiterOption();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    OutputFile.check(output, data, merge);
    try (Home home = Home.open(Home.defaultDir())) {
      Profile old = merge == null ? null : SignedProfiles.read(home, merge);
      Profile p = Profiler.profile(data, csv.apply(CsvReader.Options.STREAMING));
      long newRows = p.rows();
      if (old != null) {
        var digest = p.sources().get(0).sha256();
        if (old.sources().stream().anyMatch(s -> s.sha256().equals(digest))) {
          throw new dev.bastion.core.BadInputException(data + ": already in " + merge
              + " (same SHA-256); merging it again would count its rows twice");
        }
        try {
          p = old.merge(p);
        } catch (dev.bastion.core.BadInputException e) {
          throw new dev.bastion.core.BadInputException("cannot merge " + data + " into " + merge
              + ": " + e.getMessage().replace("the first", merge.getFileName().toString())
                  .replace("the second", data.getFileName().toString()), e);
        }
      }
      OutputFile.write(output, SignedProfiles.sign(home, p));
      out.printf(Locale.ROOT, "profiled %d rows of %s%s: %d rows, %d columns; signed by %s: %s%n",
          newRows, data, old == null ? "" : " merged into " + merge, p.rows(),
          p.columnNames().size(), SignedProfiles.SIGNER, output);
      for (ColumnProfile c : p.columns()) {
        out.printf(Locale.ROOT, "  %-24s %s, %d empty, ~%d distinct%s%n", c.name(),
            c.numeric() ? "numeric" : c.texts() > 0 && c.integers() + c.decimals() > 0 ? "mixed"
                : "text", c.nulls(), Math.round(c.distinct()),
            c.numeric() ? String.format(Locale.ROOT, ", %s..%s, median %s",
                num(c.numbers().min()), num(c.numbers().max()), num(c.numbers().quantile(0.5)))
                : "");
      }
      out.flush();
    }
    return 0;
  }

  static String num(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d)
        : String.format(Locale.ROOT, "%.6g", d);
  }
}
