/**
 * Data profiles and validation against a schema and a reference profile.
 *
 * <p>A {@link dev.bastion.data.profile.Profile} summarises each column of a data set in bounded
 * memory (type counts, empty cells, a distinct-count sketch, a quantile sketch of the numbers, the
 * frequent text values), is mergeable (the profile of appended rows is updated from the new rows
 * only) and has one canonical JSON form, which the command line signs. {@link
 * dev.bastion.data.profile.Profiler} reads a CSV file once to profile it and, given a schema,
 * validate it in the same pass; {@link dev.bastion.data.profile.Drift} compares two profiles column
 * by column; {@link dev.bastion.data.profile.ValidationReport} lists every issue found.
 */
package dev.bastion.data.profile;
