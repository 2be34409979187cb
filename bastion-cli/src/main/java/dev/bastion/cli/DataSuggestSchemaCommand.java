package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.profile.Profile;
import dev.bastion.data.profile.Profiler;
import dev.bastion.data.profile.SchemaSuggester;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bastion data suggest-schema}: a schema proposed from a clean sample. */
@Command(
    name = "suggest-schema",
    mixinStandardHelpOptions = true,
    description = {
      "Propose a schema from a clean sample: integer, number or categorical by the values seen"
          + " (a categorical column lists its values, at most 128); numeric ranges are the"
          + " sample's min and max widened by 10%% of the span on each side, not across zero;"
          + " rows from half the sample's count to 100 times it.",
      "Refused (exit 2, naming the column): empty cells, numbers mixed with text, more than 128"
          + " distinct text values. Review the result before using it."
    })
final class DataSuggestSchemaCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DATA", description = "the sample (CSV)")
  Path data;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "SCHEMA",
      description = "where to write the schema")
  Path output;

  @Option(names = "--label", required = true, paramLabel = "COL", description = "the label column")
  String label;

  @Option(names = "--name", paramLabel = "NAME",
      description = "the data set's name (default: the file name without extension)")
  String name;

  @CommandLine.Mixin DelimiterOption csv = new DelimiterOption();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    OutputFile.check(output, data);
    Profile p = Profiler.profile(data, csv.apply(CsvReader.Options.STREAMING));
    String n = name != null ? name : data.getFileName().toString().replaceFirst("\\.[^.]*$", "");
    byte[] json;
    try {
      json = (Json.pretty(SchemaSuggester.suggest(p, n, label)) + "\n")
          .getBytes(StandardCharsets.UTF_8);
    } catch (BadInputException e) {
      throw new BadInputException(data + ": " + e.getMessage(), e);
    }
    Schema s = Schema.parse(json, output.toString()); // what is written loads
    OutputFile.write(output, json);
    spec.commandLine().getOut().printf("schema for %s: %d columns, label %s, rows %d..%d: %s%n",
        data, s.columns().size(), s.label(), s.minRows(), s.maxRows(), output);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
