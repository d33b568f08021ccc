package sdclip.cli.command;

import sdclip.engine.DType;

/** The storage types {@code synth} writes the formula model in and {@code bench} measures it in. */
enum FormulaDtype {
    f32(DType.F32),
    f16(DType.F16),
    q8_0(DType.Q8_0),
    q4_0(DType.Q4_0),
    q4_k(DType.Q4_K);

    final DType type;

    FormulaDtype(DType type) {
        this.type = type;
    }
}
