// conv.h — im2col / col2im for 2-D convolution and pooling (native/cpu/conv.cpp). The addon
// (native/addon/conv.cpp) validates shapes, dtypes, bounds and geometry before calling these.
#pragma once
#include <cstdint>

#include "view.h"

namespace td::cpu {

// Geometry of a 2-D sliding window. Input row ih of output row oh and kernel row ki is
// oh*sh - ph + ki*dh (likewise columns); positions outside [0, H) x [0, W) read as zero.
// oh/ow are the output sizes (any bottom/right padding is implicit in them).
struct ConvGeom {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

// cols [N, C*kh*kw, oh*ow] (contiguous) <- x [N, C, H, W] (any strides); row (c*kh + ki)*kw + kj.
void im2col(const View& cols, const View& x, const ConvGeom& g);
// dx [N, C, H, W] (contiguous, overwritten) <- the sum of cols [N, C*kh*kw, oh*ow] (contiguous)
// over every window position that reads each input element (the adjoint of im2col).
void col2im(const View& dx, const View& cols, const ConvGeom& g);

}  // namespace td::cpu
