package io.github.shimmypull.core.pull;

import java.util.List;

/** The models published in one model directory: list them with their provenance, delete one. */
public interface LocalModels {

  /** Every model in the directory, sorted by id. */
  List<LocalModel> list();

  /**
   * Deletes the files of model {@code id} and their metadata.
   *
   * @return the deleted model
   * @throws io.github.shimmypull.core.PullException NOT_FOUND when no such model exists
   */
  LocalModel delete(String id);
}
