package dev.bastion.cli;

import dev.bastion.pipeline.Home;
import dev.bastion.registry.ModelRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "registry", description = "The model registry.", subcommands = {
    RegistryCommand.ListCommand.class})
final class RegistryCommand {
  @Command(name = "list", description = "List registered model versions.")
  static final class ListCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      try (Home home = Home.open(Home.defaultDir())) {
        for (ModelRegistry.Registration r : home.registry().list()) {
          System.out.println(r.name() + "\tv" + r.version() + "\t" + r.model() + "\t"
              + r.registeredAt());
        }
      }
      return 0;
    }
  }
}
