# SPDX-License-Identifier: Apache-2.0
# Runs the Fashion-MNIST example on LIMIT (3000) images for one epoch, saving the weights, then
# a second run that only loads them; both must report the same test accuracy.
# Usage: cmake -DPROGRAM=<fashion_mnist> -DWORK_DIR=<dir> [-DMODEL_ARGS="--model;cnn"]
#              [-DLIMIT=3000] [-DMIN_ACCURACY=0.6] -P check_fashion_mnist.cmake
set(data /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz)
if(NOT EXISTS ${data})
  message("SKIP: ${data} is missing (Debian package dataset-fashion-mnist)")
  return()
endif()
if(NOT DEFINED LIMIT)
  set(LIMIT 3000)
endif()
if(NOT DEFINED MIN_ACCURACY)
  set(MIN_ACCURACY 0.6)
endif()
math(EXPR steps "(${LIMIT} + 127) / 128")
string(REPLACE ";" "_" suffix "${MODEL_ARGS}")
set(weights ${WORK_DIR}/fashion_mnist_smoke${suffix}.safetensors)
file(REMOVE ${weights})

execute_process(COMMAND ${PROGRAM} ${MODEL_ARGS} --epochs 1 --limit ${LIMIT} --threads 1 --save ${weights}
                RESULT_VARIABLE rc OUTPUT_VARIABLE trained ERROR_VARIABLE err)
message("${trained}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "training run failed (${rc}): ${err}")
endif()
execute_process(COMMAND ${PROGRAM} ${MODEL_ARGS} --epochs 0 --limit ${LIMIT} --threads 1 --load ${weights}
                RESULT_VARIABLE rc OUTPUT_VARIABLE loaded ERROR_VARIABLE err)
message("${loaded}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "loading run failed (${rc}): ${err}")
endif()

# The progress bar's epoch line (verbose 2 when the output is not a terminal).
if(NOT trained MATCHES "${steps}/${steps} - [0-9]+s - loss: [0-9.]+ - accuracy: [0-9.]+ - val_loss: [0-9.]+ - val_accuracy: [0-9.]+ - ")
  message(FATAL_ERROR "no progress bar line for the epoch in the output")
endif()
string(REGEX MATCH "test accuracy ([0-9.]+)" _ "${trained}")
set(after_training "${CMAKE_MATCH_1}")
string(REGEX MATCH "loaded [^\n]*\n[^\n]*test accuracy ([0-9.]+)" _ "${loaded}")
set(after_loading "${CMAKE_MATCH_1}")
if(after_training STREQUAL "" OR NOT after_training STREQUAL after_loading)
  message(FATAL_ERROR "test accuracy after training '${after_training}' != after loading '${after_loading}'")
endif()
if(after_training LESS MIN_ACCURACY)
  message(FATAL_ERROR "test accuracy ${after_training} is too low for ${LIMIT} images and one epoch")
endif()
message("same test accuracy after loading: ${after_loading}")
