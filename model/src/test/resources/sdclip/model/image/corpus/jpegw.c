/* Writes a JPEG from raw interleaved samples with libjpeg, in colour spaces Pillow cannot write.
   usage: jpegw IN.raw OUT.jpg WIDTH HEIGHT INSPACE(rgb|cmyk) OUTSPACE(ycbcr|rgb|ycck|cmyk) HxV[,HxV...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
int main(int argc, char **argv) {
  if (argc != 8) { fprintf(stderr, "usage\n"); return 2; }
  int w = atoi(argv[3]), h = atoi(argv[4]);
  int cmyk = strcmp(argv[5], "cmyk") == 0, n = cmyk ? 4 : 3;
  unsigned char *px = malloc((size_t)w * h * n);
  FILE *in = fopen(argv[1], "rb");
  if (!in || fread(px, 1, (size_t)w * h * n, in) != (size_t)w * h * n) { fprintf(stderr, "short input\n"); return 1; }
  fclose(in);
  struct jpeg_compress_struct c; struct jpeg_error_mgr e;
  c.err = jpeg_std_error(&e); jpeg_create_compress(&c);
  FILE *out = fopen(argv[2], "wb"); jpeg_stdio_dest(&c, out);
  c.image_width = w; c.image_height = h; c.input_components = n; c.in_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&c);
  J_COLOR_SPACE space = !strcmp(argv[6], "rgb") ? JCS_RGB : !strcmp(argv[6], "ycck") ? JCS_YCCK
                      : !strcmp(argv[6], "cmyk") ? JCS_CMYK : JCS_YCbCr;
  jpeg_set_colorspace(&c, space);
  jpeg_set_quality(&c, 80, TRUE);
  char *s = argv[7];
  for (int i = 0; i < c.num_components && *s; i++) {
    c.comp_info[i].h_samp_factor = s[0] - '0'; c.comp_info[i].v_samp_factor = s[2] - '0';
    s += 3; if (*s == ',') s++;
  }
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = px + (size_t)c.next_scanline * w * n; jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c); fclose(out); jpeg_destroy_compress(&c); free(px);
  return 0;
}
