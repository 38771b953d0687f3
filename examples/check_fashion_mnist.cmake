# Runs the Fashion-MNIST example on 3000 images for one epoch, saving a checkpoint, then a
# second run that only loads it; both must report the same test accuracy.
# Usage: cmake -DPROGRAM=<fashion_mnist> -DWORK_DIR=<dir> -P check_fashion_mnist.cmake
set(data /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz)
if(NOT EXISTS ${data})
  message("SKIP: ${data} is missing (Debian package dataset-fashion-mnist)")
  return()
endif()
set(checkpoint ${WORK_DIR}/fashion_mnist_smoke.safetensors)
file(REMOVE ${checkpoint})

execute_process(COMMAND ${PROGRAM} --epochs 1 --limit 3000 --threads 1 --checkpoint ${checkpoint}
                RESULT_VARIABLE rc OUTPUT_VARIABLE trained ERROR_VARIABLE err)
message("${trained}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "training run failed (${rc}): ${err}")
endif()
execute_process(COMMAND ${PROGRAM} --epochs 0 --limit 3000 --threads 1 --load ${checkpoint}
                RESULT_VARIABLE rc OUTPUT_VARIABLE loaded ERROR_VARIABLE err)
message("${loaded}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "loading run failed (${rc}): ${err}")
endif()

string(REGEX MATCH "epoch 1/1 [^\n]*test accuracy ([0-9.]+)" _ "${trained}")
set(after_training "${CMAKE_MATCH_1}")
string(REGEX MATCH "loaded [^\n]*test accuracy ([0-9.]+)" _ "${loaded}")
set(after_loading "${CMAKE_MATCH_1}")
if(after_training STREQUAL "" OR NOT after_training STREQUAL after_loading)
  message(FATAL_ERROR "test accuracy after training '${after_training}' != after loading '${after_loading}'")
endif()
if(after_training LESS 0.6)
  message(FATAL_ERROR "test accuracy ${after_training} is too low for 3000 images and one epoch")
endif()
message("same test accuracy after loading: ${after_loading}")
