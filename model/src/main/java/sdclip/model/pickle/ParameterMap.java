package sdclip.model.pickle;

import java.util.LinkedHashMap;

/** A {@code torch.nn.ParameterDict}, read as the map of its parameters (filled when its state is built). */
final class ParameterMap extends LinkedHashMap<Object, Object> {
    private static final long serialVersionUID = 1L;
}
