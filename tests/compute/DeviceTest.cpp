#include "core/compute/Device.h"

#include <gtest/gtest.h>

using namespace weaksight::compute;

TEST(Device, CpuIsAlwaysAvailable)
{
    const auto info = selectDevice("cpu");
    EXPECT_EQ(info.kind, DeviceKind::Cpu);
    EXPECT_EQ(info.name, "cpu");
}

TEST(Device, AutoPicksCudaOnlyWhenPresent)
{
    const auto info = selectDevice("auto");
    EXPECT_EQ(info.kind == DeviceKind::Cuda, cudaAvailable());
}

TEST(Device, UnknownOrMissingDevicesAreRefused)
{
    EXPECT_THROW(selectDevice("tpu"), std::invalid_argument);
    if (!cudaAvailable()) {
        EXPECT_THROW(selectDevice("cuda"), std::invalid_argument);
    }
    EXPECT_THROW(selectDevice("cuda:999"), std::invalid_argument);
}

TEST(Device, ThreadCountIsApplied)
{
    EXPECT_EQ(configureCpuThreads(2), 2);
    EXPECT_EQ(configureCpuThreads(1), 1);
    EXPECT_GE(configureCpuThreads(0), 1);
}

TEST(Device, ReportsTorchVersion)
{
    const auto version = torchVersion();
    EXPECT_FALSE(version.empty());
    EXPECT_NE(version.find('.'), std::string::npos);
}

TEST(Device, CudaMemoryIsReportedExactlyWhereCudaIs)
{
    const auto memory = cudaMemory(0);
    ASSERT_EQ(memory.has_value(), cudaAvailable());
    if (memory) { // the GPU machine
        EXPECT_GT(memory->totalBytes, size_t{1} << 30);
        EXPECT_GT(memory->freeBytes, 0u);
        EXPECT_LE(memory->freeBytes, memory->totalBytes);
    }
    EXPECT_FALSE(cudaMemory(-1).has_value());
    EXPECT_FALSE(cudaMemory(999).has_value());
}
