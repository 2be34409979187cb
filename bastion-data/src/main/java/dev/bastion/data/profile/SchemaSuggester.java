package dev.bastion.data.profile;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import java.util.Map;

/**
 * Proposes a schema (the JSON {@link dev.bastion.data.Schema#parse} reads) from the profile of a
 * clean sample. Rules:
 *
 * <ul>
 *   <li>a column of integers only is {@code integer}; of numbers only, {@code number}; of text
 *       only, {@code categorical} with the values seen (so at most {@link
 *       dev.bastion.data.sketch.FrequentItems#DEFAULT_M} of them, all counted exactly);
 *   <li>numeric ranges are the sample's minimum and maximum widened by 10% of their span on each
 *       side, not across zero (a non-negative column stays non-negative), integers rounded outwards;
 *   <li>rows: at least half the sample's rows, at most 100 times as many.
 * </ul>
 *
 * A column with empty cells, a mix of numbers and text, or too many distinct text values is
 * refused: the sample is not clean, or the column needs a person's decision.
 */
public final class SchemaSuggester {
  /** Share of the span added on each side of a numeric range. */
  public static final double WIDEN = 0.1;

  private SchemaSuggester() {}

  /**
   * The proposed schema's JSON.
   *
   * @throws BadInputException naming the column, if a column cannot be typed from the sample
   */
  public static ObjectNode suggest(Profile p, String name, String label)
      throws BadInputException {
    if (!p.columnNames().contains(label)) {
      throw new BadInputException("label column '" + label + "' is not in the data");
    }
    if (p.rows() == 0) {
      throw new BadInputException("the sample has no rows");
    }
    ObjectNode o = Json.object();
    o.put("name", name);
    o.put("label", label);
    o.putObject("rows").put("min", Math.max(1, p.rows() / 2)).put("max",
        p.rows() > Long.MAX_VALUE / 100 ? Long.MAX_VALUE : p.rows() * 100);
    ArrayNode cols = o.putArray("columns");
    for (ColumnProfile c : p.columns()) {
      ObjectNode col = cols.addObject();
      col.put("name", c.name());
      String at = "column '" + c.name() + "'";
      if (c.nulls() > 0) {
        throw new BadInputException(at + ": " + c.nulls()
            + " empty cells; suggest-schema needs a clean sample");
      }
      if (c.texts() > 0 && c.integers() + c.decimals() > 0) {
        throw new BadInputException(at + ": mixes numbers (" + (c.integers() + c.decimals())
            + ") and text (" + c.texts() + "); declare it by hand");
      }
      if (c.texts() > 0) {
        var items = c.items();
        if (items.error() > 0) {
          throw new BadInputException(at + ": more than " + items.capacity()
              + " distinct text values; not a categorical column");
        }
        col.put("type", "categorical");
        ArrayNode values = col.putArray("values");
        items.top().stream().map(Map.Entry::getKey).sorted().forEach(values::add);
        continue;
      }
      boolean integer = c.decimals() == 0;
      col.put("type", integer ? "integer" : "number");
      var kll = c.numbers();
      double min = kll.min();
      double max = kll.max();
      // Computed so as not to overflow near the largest doubles, and kept finite (JSON has no
      // infinity).
      double pad = max * WIDEN - min * WIDEN;
      double lo = Math.max(-Double.MAX_VALUE, min >= 0 ? Math.max(0, min - pad) : min - pad);
      double hi = Math.min(Double.MAX_VALUE, max <= 0 ? Math.min(0, max + pad) : max + pad);
      if (integer) {
        lo = Math.floor(lo);
        hi = Math.ceil(hi);
      }
      col.put("min", lo);
      col.put("max", hi);
    }
    return o;
  }
}
