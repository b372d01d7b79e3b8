// The masks the writer process stores, reproducible so that the tests can check them.
#include "core/masks/BinaryMask.h"

using weaksight::BinaryMask;

BinaryMask expectedMask(int i)
{
    BinaryMask m(64, 64);
    for (int r = 0; r < 64; ++r)
        for (int c = 0; c < 64; ++c)
            m.at(r, c) = ((r * 7 + c * 3 + i) % 11) < 4;
    return m;
}
