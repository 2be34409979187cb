package dev.bastion.data;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes {@link Schema#parse}: any bytes are either a consistent schema or a BadInputException
 * naming the file. Plain {@code mvn test} replays the inputs under
 * {@code src/test/resources/dev/bastion/data/SchemaFuzzTestInputs/parse/}.
 */
class SchemaFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void parse(byte[] bytes) {
    SchemaInvariants.assertParsesOrRefuses(bytes);
  }
}
