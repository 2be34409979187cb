package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.data.CsvReader;
import picocli.CommandLine.Option;

/** {@code --delimiter C}, for the commands that read CSV: the character between fields. */
final class DelimiterOption {
  @Option(names = "--delimiter", paramLabel = "C", defaultValue = ",",
      description = "CSV field separator: one printable ASCII character, or 'tab'"
          + " (default: ${DEFAULT-VALUE})")
  String delimiter = ",";

  /** {@code options} with this delimiter. */
  CsvReader.Options apply(CsvReader.Options options) throws BadInputException {
    try {
      return options.withDelimiter(CsvReader.Options.delimiter(delimiter));
    } catch (BadInputException e) {
      throw new BadInputException("--" + e.getMessage(), e);
    }
  }
}
